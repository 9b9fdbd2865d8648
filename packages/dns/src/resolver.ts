import { Resolver as NodeResolver } from 'node:dns/promises';
import { DnsCache, type DnsCacheOptions } from './cache.js';
import { createDnssecResolver, trustedServers } from './dnssec.js';
import { createLookup, LookupFailure, type Lookup } from './lookup.js';
import { mailauthAdapter } from './mailauth.js';
import { reverseName } from './reverse.js';
import { DnsError, type MxRecord, type Resolver, type ResolverOptions, type SrvRecord } from './types.js';

export interface CreateResolverOptions extends ResolverOptions {
  /** Answer-cache settings (defaults: 60 s max TTL, 15 s negative); false turns caching off. */
  cache?: Partial<DnsCacheOptions> | false;
}

/** A Resolver whose cache can be inspected or cleared (tests, `postern doctor`). */
export interface CachingResolver extends Resolver {
  readonly cache: DnsCache | null;
}

/**
 * The resolver every lookup goes through (SPEC §4). NXDOMAIN is a DnsError
 * 'NXDOMAIN', an empty answer (NODATA) is [], and anything that may succeed
 * later — timeout, SERVFAIL, refused, unreachable — is a DnsError 'TEMPFAIL'.
 */
export function createResolver(options: CreateResolverOptions): CachingResolver {
  // tries 1: a silent server costs timeoutMs, not c-ares's default of four rounds.
  const node = new NodeResolver({ timeout: Math.max(1, Math.round(options.timeoutMs)), tries: 1 });
  if (options.servers.length > 0) {
    try {
      node.setServers(options.servers);
    } catch (error) {
      throw new TypeError(`dns.servers ${JSON.stringify(options.servers)}: ${(error as Error).message} (expected IP addresses with an optional port, e.g. 127.0.0.53 or [::1]:53)`);
    }
  }
  const cache = options.cache === false ? null : new DnsCache(options.cache ?? {});
  const lookup = createLookup(node, cache);
  const adapter = mailauthAdapter(lookup);
  const dnssec = createDnssecResolver(trustedServers(options.servers, options.dnssecTrusted), options.timeoutMs);

  return {
    cache,
    dnssec,

    async mx(domain) {
      const records = (await recordsOrEmpty(lookup, 'MX', domain)) as readonly MxRecord[];
      // RFC 5321 §5.1: lowest preference first; equal preferences in a stable (name) order.
      return records
        .map(({ exchange, priority }) => ({ exchange, priority }))
        .sort((x, y) => x.priority - y.priority || (x.exchange < y.exchange ? -1 : x.exchange > y.exchange ? 1 : 0));
    },

    async a(host) {
      return [...((await recordsOrEmpty(lookup, 'A', host)) as readonly string[])];
    },

    async aaaa(host) {
      return [...((await recordsOrEmpty(lookup, 'AAAA', host)) as readonly string[])];
    },

    async txt(name) {
      // RFC 7208 §3.3: a record split into several character-strings is read as their concatenation.
      return ((await recordsOrEmpty(lookup, 'TXT', name)) as readonly string[][]).map((chunks) => chunks.join(''));
    },

    async ptr(ip) {
      return [...((await recordsOrEmpty(lookup, 'PTR', reverseName(ip), ip)) as readonly string[])];
    },

    async srv(name) {
      return ((await recordsOrEmpty(lookup, 'SRV', name)) as readonly SrvRecord[]).map(({ priority, weight, port, name: target }) => ({ priority, weight, port, name: target }));
    },

    mailauthResolver() {
      return adapter;
    },
  };
}

/** Records of one query, [] for NODATA, DnsError for everything else a DNS answer can be. */
async function recordsOrEmpty(lookup: Lookup, rrtype: string, name: string, shownName = name): Promise<readonly unknown[]> {
  try {
    return await lookup(rrtype, name);
  } catch (error) {
    if (!(error instanceof LookupFailure)) throw error;
    if (error.code === 'ENODATA') return [];
    if (error.code === 'ENOTFOUND') throw new DnsError('NXDOMAIN', shownName, rrtype, error.code);
    throw new DnsError('TEMPFAIL', shownName, rrtype, error.code);
  }
}
