/**
 * A small answer cache in front of the resolver, as Postfix relies on for
 * DNSBL and repeated sender-domain checks: positive answers live for their TTL
 * capped at maxTtlSeconds, NXDOMAIN/NODATA for negativeTtlSeconds (RFC 2308 §5
 * caps negative caching too), temporary failures are never stored.
 */
export interface DnsCacheOptions {
  /** Upper bound on how long any answer is reused; 0 turns the cache off. */
  maxTtlSeconds: number;
  /** How long "no such name" and "no records of that type" are remembered. */
  negativeTtlSeconds: number;
  /** Oldest entries are dropped beyond this many. */
  maxEntries: number;
  /** Clock in milliseconds; tests replace it to age entries. */
  now?: () => number;
}

export const DEFAULT_CACHE_OPTIONS: DnsCacheOptions = {
  maxTtlSeconds: 60,
  negativeTtlSeconds: 15,
  maxEntries: 10_000,
};

/** What a lookup ended with: records, or the node:dns code of a definite negative answer. */
export type CachedOutcome = { records: readonly unknown[] } | { negative: 'ENOTFOUND' | 'ENODATA' };

interface Entry {
  outcome: CachedOutcome;
  expiresAt: number;
}

export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly options: DnsCacheOptions;
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(options: Partial<DnsCacheOptions> = {}) {
    this.options = { ...DEFAULT_CACHE_OPTIONS, ...options };
    this.now = this.options.now ?? Date.now;
  }

  /** The key a query is cached under: type plus the name as DNS compares it (case-insensitive, RFC 4343). */
  static key(rrtype: string, name: string): string {
    return `${rrtype.toUpperCase()} ${name.toLowerCase()}`;
  }

  get(key: string): CachedOutcome | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt <= this.now()) {
      if (entry !== undefined) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    this.hits++;
    return entry.outcome;
  }

  /** Stores records for min(ttl, maxTtl); ttl undefined when the answer did not carry one. */
  setRecords(key: string, records: readonly unknown[], ttlSeconds?: number): void {
    const ttl = Math.min(ttlSeconds ?? this.options.maxTtlSeconds, this.options.maxTtlSeconds);
    this.store(key, { records }, ttl);
  }

  setNegative(key: string, code: 'ENOTFOUND' | 'ENODATA'): void {
    this.store(key, { negative: code }, Math.min(this.options.negativeTtlSeconds, this.options.maxTtlSeconds));
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.hits = 0;
    this.misses = 0;
  }

  private store(key: string, outcome: CachedOutcome, ttlSeconds: number): void {
    if (!(ttlSeconds > 0)) return;
    this.entries.delete(key);
    this.entries.set(key, { outcome, expiresAt: this.now() + ttlSeconds * 1000 });
    // Map keeps insertion order, so the first key is the oldest entry.
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }
}
