import { Resolver as NodeResolver } from 'node:dns/promises';
import { DnsCache } from './cache.js';

/** A lookup that produced no records, with node:dns's code: ENOTFOUND, ENODATA, ETIMEOUT, ESERVFAIL, ECONNREFUSED, … */
export class LookupFailure extends Error {
  constructor(
    readonly code: string,
    readonly query: string,
    readonly rrtype: string,
  ) {
    super(`${syscallFor(rrtype)} ${code} ${query}`);
    this.name = 'LookupFailure';
  }
}

/** One raw query: node:dns record shapes for the type (TXT → string[][], MX → {exchange, priority}[], …). */
export type Lookup = (rrtype: string, name: string) => Promise<readonly unknown[]>;

/** The name node:dns gives the failing call, e.g. queryTxt, queryAaaa (mailauth logs it). */
export function syscallFor(rrtype: string): string {
  return `query${rrtype.charAt(0)}${rrtype.slice(1).toLowerCase()}`;
}

/**
 * Queries through c-ares with one try per server and the configured timeout,
 * answering repeats from the cache and sharing one query among concurrent
 * identical lookups.
 */
export function createLookup(node: NodeResolver, cache: DnsCache | null): Lookup {
  const inFlight = new Map<string, Promise<readonly unknown[]>>();

  return (rrtype, rawName) => {
    const type = rrtype.toUpperCase();
    // "example.com." and "example.com" are the same absolute name (RFC 1034 §3.1).
    const name = rawName.endsWith('.') && rawName.length > 1 ? rawName.slice(0, -1) : rawName;
    const key = DnsCache.key(type, name);

    const cached = cache?.get(key);
    if (cached !== undefined) {
      if ('records' in cached) return Promise.resolve(cached.records);
      return Promise.reject(new LookupFailure(cached.negative, name, type));
    }
    const pending = inFlight.get(key);
    if (pending !== undefined) return pending;

    const query = queryOnce(node, type, name)
      .then(({ records, ttl }) => {
        cache?.setRecords(key, records, ttl);
        return records;
      })
      .catch((error: unknown) => {
        const code = nodeErrorCode(error);
        // ERR_* are programming errors (an unsupported rrtype): not a DNS answer.
        if (code === undefined || code.startsWith('ERR_')) throw error;
        // A name that cannot be encoded on the wire cannot exist in the DNS either.
        const definite = code === 'EBADNAME' ? 'ENOTFOUND' : code;
        if (definite === 'ENOTFOUND' || definite === 'ENODATA') cache?.setNegative(key, definite);
        throw new LookupFailure(definite, name, type);
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, query);
    return query;
  };
}

async function queryOnce(node: NodeResolver, type: string, name: string): Promise<{ records: readonly unknown[]; ttl?: number }> {
  if (type === 'A' || type === 'AAAA') {
    // Only address queries report TTLs through node:dns; the others fall back to the cache's maximum.
    const answers = type === 'A' ? await node.resolve4(name, { ttl: true }) : await node.resolve6(name, { ttl: true });
    const ttl = answers.length > 0 ? Math.min(...answers.map((answer) => answer.ttl)) : undefined;
    return { records: answers.map((answer) => answer.address), ttl };
  }
  const resolve = node.resolve.bind(node) as (hostname: string, rrtype: string) => Promise<unknown[]>;
  return { records: await resolve(name, type) };
}

function nodeErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
