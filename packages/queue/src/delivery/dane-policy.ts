// DANE for SMTP (RFC 7672 §2.2): per MX host, whether DNSSEC-validated TLSA records decide its TLS, and how.
import { isIP } from 'node:net';
import { DnsError, tlsaUsable, type Resolver, type TlsaRecord } from '@postern/dns';
import type { NextHop } from './next-hop.js';
import { ownFailure, type HostFailure } from './outcome.js';
import type { Route } from './routes.js';
import type { TlsPolicy } from './tls-policy.js';

/** Why DANE does not authenticate a host; the name after "dane-fallback:" in the maillog. */
export type DaneFallback =
  /** No resolver's AD bit is trusted (dns.dnssec_trusted and no loopback dns.servers). */
  | 'no-validating-resolver'
  /** RFC 7672 §2.2.1: the MX RRset is not secure. */
  | 'insecure-mx'
  /** RFC 7672 §2.2.2: the MX host's address records are not secure. */
  | 'insecure-address'
  /** RFC 7672 §2.2: the TLSA RRset is not secure. */
  | 'insecure-tlsa'
  /** RFC 7672 §2.2: a secure denial of TLSA records. */
  | 'no-tlsa'
  /** RFC 7672 §2.2: TLSA records, none usable (§3.1.3): TLS is required, unauthenticated. */
  | 'unusable-tlsa'
  /** An IP literal next hop has no name for TLSA records. */
  | 'ip-literal';

/** What DANE makes of one MX host. */
export type DaneHost =
  | { kind: 'dane'; records: TlsaRecord[]; published: TlsaRecord[]; names: string[] }
  | { kind: 'fallback'; reason: DaneFallback; published: TlsaRecord[] }
  /** RFC 7672 §2.1.1: a lookup failed (SERVFAIL, timeout): this host is not used now. */
  | { kind: 'failed'; failure: HostFailure };

/** Per MX host name (Route.name). */
export type DaneDecision = Map<string, DaneHost>;

const fallback = (reason: DaneFallback, published: TlsaRecord[] = []): DaneHost => ({ kind: 'fallback', reason, published });

function lookupFailure(error: DnsError, relay: string | null): HostFailure {
  // RFC 7672 §2.1.1: a TLSA (or MX) answer that cannot be had from a signed zone defers, never downgrades.
  return ownFailure('4.7.5', `DNSSEC lookup error for ${error.query} type=${error.rrtype}: ${error.detail} (RFC 7672 §2.1.1)`, relay);
}

/**
 * Looks up DANE for each host of the routes. With an MX next hop the MX
 * RRset must be secure (§2.2.1); a relay host or transport next hop is named
 * by the configuration, so only its own records count. Then per host: secure
 * address records (§2.2.2), and the TLSA RRset at _PORT._tcp.HOST (RFC 6698
 * §3), tried first at the name its address records' CNAMEs end at (§2.2.2).
 */
export async function daneDecision(resolver: Resolver, hop: NextHop, routes: readonly Route[]): Promise<DaneDecision> {
  const decision: DaneDecision = new Map();
  const hosts = [...new Set(routes.map((route) => route.name))];
  const all = (host: DaneHost) => {
    for (const name of hosts) decision.set(name, host);
    return decision;
  };
  if (!resolver.dnssec.validating) return all(fallback('no-validating-resolver'));
  if (hop.mx && isIP(hop.host) === 0) {
    try {
      const mx = await resolver.dnssec.mx(hop.host);
      if (!mx.secure) return all(fallback('insecure-mx'));
    } catch (error) {
      if (!(error instanceof DnsError)) throw error;
      return all({ kind: 'failed', failure: lookupFailure(error, null) });
    }
  }
  for (const host of hosts) decision.set(host, await hostDecision(resolver, host, hop.port));
  return decision;
}

async function hostDecision(resolver: Resolver, host: string, port: number): Promise<DaneHost> {
  if (isIP(host) !== 0) return fallback('ip-literal');
  try {
    const addresses = await resolver.dnssec.addresses(host);
    if (!addresses.secure) return fallback('insecure-address');
    const bases = addresses.canonicalName === host.toLowerCase() ? [host] : [addresses.canonicalName, host];
    for (const base of bases) {
      const tlsa = await resolver.dnssec.tlsa(`_${port}._tcp.${base}`);
      if (!tlsa.secure) return fallback('insecure-tlsa');
      if (tlsa.records.length === 0) continue;
      const usable = tlsa.records.filter(tlsaUsable);
      if (usable.length === 0) return fallback('unusable-tlsa', tlsa.records);
      // RFC 7672 §3.2.2: the reference identifiers are the TLSA base domain and the MX host name.
      return { kind: 'dane', records: usable, published: tlsa.records, names: [...new Set([base, host])] };
    }
    return fallback('no-tlsa');
  } catch (error) {
    if (!(error instanceof DnsError)) throw error;
    return { kind: 'failed', failure: lookupFailure(error, null) };
  }
}

/** True when some host has secure TLSA records: DANE governs the delivery and MTA-STS steps aside (RFC 8461 §2). */
export function daneGoverns(decision: DaneDecision | null): boolean {
  if (decision === null) return false;
  return [...decision.values()].some((host) => host.kind === 'dane' || (host.kind === 'fallback' && host.reason === 'unusable-tlsa'));
}

/**
 * The TLS one host gets at smtp.tls_security_level = "dane": TLSA-authenticated
 * TLS; mandatory unauthenticated TLS for unusable records (RFC 7672 §2.2);
 * otherwise opportunistic TLS, as "may".
 */
export function daneTlsPolicy(host: DaneHost, base: TlsPolicy): TlsPolicy {
  if (host.kind === 'dane') return { ...base, level: 'dane', tlsa: { records: host.records, names: host.names }, requiredBy: 'by its DNSSEC-signed TLSA records (DANE, RFC 7672)' };
  if (host.kind === 'fallback' && host.reason === 'unusable-tlsa') return { ...base, level: 'encrypt', requiredBy: 'by its TLSA records (DANE, RFC 7672 §2.2: none usable)' };
  return { ...base, level: 'may' };
}

/** The policy name a host's delivery is recorded under: "dane" or "dane-fallback:REASON". */
export function danePolicyName(host: DaneHost): 'dane' | `dane-fallback:${DaneFallback}` {
  return host.kind === 'fallback' ? `dane-fallback:${host.reason}` : 'dane';
}
