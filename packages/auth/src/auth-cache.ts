import { createHmac, randomBytes } from 'node:crypto';

export interface AuthCacheOptions {
  /** How long a successful verification is remembered (Dovecot's auth_cache_ttl); 0 turns the cache off. */
  ttlMs: number;
  /** How long a failed one is remembered (auth_cache_negative_ttl); 0 remembers none. */
  negativeTtlMs: number;
  /** Entries kept at most; the oldest go first (auth_cache_size). */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  ok: boolean;
  expires: number;
}

/**
 * Dovecot's auth cache for password verification results. The key is a keyed fast hash (HMAC-SHA256
 * with a per-process random key) of the login, the password and the stored hash read from the store
 * on this very login: no password is kept, and a `user passwd` from any process changes the stored
 * hash and so misses every entry made before it — an old password is never let in by the cache.
 */
export class AuthCache {
  private readonly entries = new Map<string, Entry>();
  private readonly secret = randomBytes(32);
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(private readonly options: AuthCacheOptions) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  private key(login: string, password: string, stored: string): string {
    const mac = createHmac('sha256', this.secret);
    for (const part of [login, password, stored]) mac.update(`${Buffer.byteLength(part)}:`).update(part);
    return mac.digest('base64');
  }

  /** The remembered result, or undefined when there is none (or it expired). */
  get(login: string, password: string, stored: string): boolean | undefined {
    const key = this.key(login, password, stored);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.ok;
  }

  set(login: string, password: string, stored: string, ok: boolean): void {
    const ttl = ok ? this.options.ttlMs : this.options.negativeTtlMs;
    if (ttl <= 0) return;
    const key = this.key(login, password, stored);
    this.entries.delete(key);
    this.entries.set(key, { ok, expires: this.now() + ttl });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
