import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';

/** The subjectAltName DNS entries of a certificate (RFC 6125 §6.4: the CN only when there are none). */
function dnsNames(cert: PeerCertificate): string[] {
  const names = (cert.subjectaltname ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
  return names.length > 0 || typeof cert.subject?.CN !== 'string' ? names : [cert.subject.CN.toLowerCase()];
}

/**
 * Postfix's verify/secure check of a server certificate: the chain ends at a
 * trusted CA (smtp.tls_CAfile or the system store) and one of `names` matches
 * (RFC 6125 §6.4, through node's checkServerIdentity). A name ".example.com"
 * is Postfix's "dot-nexthop": any host under example.com. Returns why the
 * certificate is not good enough, or null when it is.
 */
export function certificateProblem(socket: TLSSocket, names: readonly string[]): string | null {
  if (!socket.authorized) return `Server certificate not trusted (${String(socket.authorizationError ?? 'unknown issuer')})`;
  const cert = socket.getPeerCertificate();
  for (const name of names) {
    if (name.startsWith('.')) {
      if (dnsNames(cert).some((entry) => entry.endsWith(name.toLowerCase()) && !entry.startsWith('*'))) return null;
    } else if (checkServerIdentity(name, cert) === undefined) {
      return null;
    }
  }
  return `Server certificate not verified (no name matches ${names.join(', ')}; certificate names: ${dnsNames(cert).join(', ') || 'none'})`;
}
