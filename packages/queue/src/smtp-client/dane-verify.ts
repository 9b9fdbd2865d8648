// The server certificate against TLSA records, as RFC 7672 §3.1 has an SMTP client use them.
import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import { TlsaMatchingType, TlsaSelector, TlsaUsage, type TlsaRecord } from '@postern/dns';

/** RFC 6698 §2.1.2-2.1.3: the selected content (whole certificate or SubjectPublicKeyInfo), matched in full or by digest. */
export function tlsaMatches(record: TlsaRecord, cert: X509Certificate): boolean {
  const selected = record.selector === TlsaSelector.CERT ? cert.raw : cert.publicKey.export({ type: 'spki', format: 'der' });
  switch (record.matchingType) {
    case TlsaMatchingType.FULL:
      return selected.equals(record.data);
    case TlsaMatchingType.SHA2_256:
      return createHash('sha256').update(selected).digest().equals(record.data);
    case TlsaMatchingType.SHA2_512:
      return createHash('sha512').update(selected).digest().equals(record.data);
    default:
      return false;
  }
}

/** The chain as the server presented it, leaf first (node fills in issuers it could find). */
export function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<string>();
  while (current?.raw !== undefined && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

function withinValidity(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

/** chain[0] … chain[upTo] each signed by the next, and in their validity period (RFC 5280 §6.1.3 (a)). */
function chainsTo(chain: readonly X509Certificate[], upTo: number, now: Date): boolean {
  for (let i = 0; i < upTo; i++) {
    const cert = chain[i]!;
    const issuer = chain[i + 1]!;
    if (!withinValidity(cert, now) || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false;
  }
  return true;
}

/**
 * Why the presented chain does not satisfy the usable TLSA `records`, or
 * null when one matches:
 * - DANE-EE(3), RFC 7672 §3.1.1: the leaf's certificate or key matches; no
 *   name check and no validity dates (the DNS binds the key to the host).
 * - DANE-TA(2), RFC 7672 §3.1.2: a certificate the server sent above the leaf
 *   matches, the leaf chains to it, and the leaf carries one of `names`
 *   (§3.2.2: the MX host name and the TLSA base domain), wildcards as RFC 6125.
 */
export function daneProblem(chain: readonly X509Certificate[], records: readonly TlsaRecord[], names: readonly string[], now = new Date()): string | null {
  const leaf = chain[0];
  if (leaf === undefined) return 'no server certificate';
  if (records.some((record) => record.usage === TlsaUsage.DANE_EE && tlsaMatches(record, leaf))) return null;
  let anchored = false;
  for (const record of records.filter((r) => r.usage === TlsaUsage.DANE_TA)) {
    const at = chain.findIndex((cert, index) => index > 0 && tlsaMatches(record, cert));
    if (at < 0 || !chainsTo(chain, at, now)) continue;
    anchored = true;
    const peer = { subject: { CN: '' }, subjectaltname: leaf.subjectAltName ?? '' } as unknown as Parameters<typeof checkServerIdentity>[1];
    if (names.some((name) => checkServerIdentity(name, peer) === undefined)) return null;
  }
  if (anchored) return `Server certificate not verified by TLSA (chains to the DANE-TA trust anchor, but no name matches ${names.join(', ')}; certificate names: ${leaf.subjectAltName ?? 'none'})`;
  return `Server certificate not verified by TLSA (no TLSA record matches the certificate chain of ${chain.length} certificate${chain.length === 1 ? '' : 's'})`;
}

/** daneProblem for an open TLS connection. */
export function socketDaneProblem(socket: TLSSocket, records: readonly TlsaRecord[], names: readonly string[]): string | null {
  return daneProblem(peerChain(socket), records, names);
}
