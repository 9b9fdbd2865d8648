import { LookupFailure, syscallFor, type Lookup } from './lookup.js';

/** What mailauth's `resolver` option is called with and must return: dns.promises.resolve's contract. */
export type MailauthResolver = (name: string, rrtype: string) => Promise<unknown>;

/** The error shape mailauth branches on: `code` ENOTFOUND/ENODATA count as void lookups, anything else is temperror. */
export interface NodeDnsError extends Error {
  code: string;
  syscall: string;
  hostname: string;
}

/**
 * mailauth 4.13.3 (SPF, DKIM, DMARC, ARC, MTA-STS, BIMI) calls
 * `resolver(name, rrtype)` exactly like node:dns/promises `resolve`: A/AAAA →
 * string[], MX → {exchange, priority}[], TXT → string[][] (chunks unjoined),
 * PTR → string[] for an in-addr.arpa/ip6.arpa name, and it rejects with
 * err.code set. NODATA must reject with ENODATA, not resolve to [], or the
 * RFC 7208 §4.6.4 void-lookup limit is never reached.
 */
export function mailauthAdapter(lookup: Lookup): MailauthResolver {
  return async (name, rrtype) => {
    try {
      // Fresh copies: mailauth sorts MX lists in place and must not reorder the cache.
      return (await lookup(rrtype.toUpperCase(), name)).map(copyRecord);
    } catch (error) {
      if (error instanceof LookupFailure) throw nodeDnsError(error, name);
      throw error;
    }
  };
}

function copyRecord(record: unknown): unknown {
  if (Array.isArray(record)) return [...(record as unknown[])];
  if (typeof record === 'object' && record !== null) return { ...record };
  return record;
}

function nodeDnsError(failure: LookupFailure, name: string): NodeDnsError {
  return Object.assign(new Error(`${syscallFor(failure.rrtype)} ${failure.code} ${name}`), {
    code: failure.code,
    syscall: syscallFor(failure.rrtype),
    hostname: name,
  });
}
