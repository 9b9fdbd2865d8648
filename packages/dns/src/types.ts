import type { DnssecResolver } from './dnssec.js';

/**
 * The one resolver every DNS lookup goes through (SPEC §4): MX, A/AAAA, TXT
 * (SPF, DKIM, DMARC, MTA-STS), PTR, DNSBL. Tests point it at a local DNS
 * server; with no network, lookups fail fast as TEMPFAIL.
 */
export interface Resolver {
  /** MX records sorted by preference (RFC 5321 §5.1); [] when the domain has none (NODATA). */
  mx(domain: string): Promise<MxRecord[]>;
  a(host: string): Promise<string[]>;
  aaaa(host: string): Promise<string[]>;
  /** Each TXT record's character-strings joined (RFC 7208 §3.3). */
  txt(name: string): Promise<string[]>;
  /** Reverse lookup of an IPv4 or IPv6 address. */
  ptr(ip: string): Promise<string[]>;
  /** SRV records (RFC 2782), e.g. _submissions._tcp.example.com (RFC 6186); [] for NODATA. */
  srv(name: string): Promise<SrvRecord[]>;
  /** DNSSEC-aware lookups for DANE (RFC 7672): MX, addresses and TLSA with the trusted resolver's AD bit. */
  readonly dnssec: DnssecResolver;
  /** The adapter mailauth expects: `(name, rrtype) => Promise<records>` with node:dns-style errors. */
  mailauthResolver(): (name: string, rrtype: string) => Promise<unknown>;
}

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  /** "" or "." for "this service is not offered" (RFC 2782, RFC 6186 §4). */
  name: string;
}

export interface MxRecord {
  exchange: string;
  priority: number;
}

/**
 * NXDOMAIN: the name does not exist. NODATA is not an error (empty answer).
 * TEMPFAIL: timeout, SERVFAIL, no server reachable — the RFCs' temperror, a 4xx in SMTP.
 */
export type DnsErrorKind = 'NXDOMAIN' | 'TEMPFAIL';

export class DnsError extends Error {
  // The queried name is `query`: a parameter property called `name` would clash with Error#name.
  constructor(
    readonly kind: DnsErrorKind,
    readonly query: string,
    readonly rrtype: string,
    /** node:dns's code behind the failure, e.g. ETIMEOUT, ESERVFAIL, ENOTFOUND. */
    readonly detail: string,
  ) {
    super(`DNS ${rrtype} ${query}: ${kind === 'NXDOMAIN' ? 'no such domain' : `temporary failure (${detail})`}`);
    this.name = 'DnsError';
  }
}

export interface ResolverOptions {
  /** "ip" or "ip:port" / "[v6]:port"; empty: the system resolver's servers. */
  servers: string[];
  timeoutMs: number;
  /**
   * dns.dnssec_trusted: servers whose AD bit is believed (DANE's lookups go to
   * them); empty or absent: the loopback ones among `servers`.
   */
  dnssecTrusted?: string[];
}
