import { setTimeout as sleep } from 'node:timers/promises';
import { AuthCache } from '@postern/auth';
import { plainClientIp } from '@postern/config';
import { authBans, authFailures } from '@postern/metrics';
import { addressKey, type Store, type User } from '@postern/store';
import { authenticateLogin } from './login.js';

export type LoginResult = { ok: true; user: User } | { ok: false; reason: 'banned' | 'failed'; retryAfterMs?: number };

/** The part of a pino logger the guard writes to. */
export interface LoginLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface LoginGuardOptions {
  store: Store;
  logger: LoginLogger;
  /** limits.auth_failures_before_ban: failures from one address within ban_seconds before it is banned. */
  maxFailures: number;
  banSeconds: number;
  /** limits.auth_account_failures_before_throttle: failures for one account (any addresses) before its logins are slowed. */
  accountMaxFailures?: number;
  /** auth.account_throttle_delay: how long a login for a throttled account waits before its password is checked. */
  accountThrottleDelayMs?: number;
  /** smtpd_sasl_local_domain. */
  localDomain?: string;
  /** [auth] cache_ttl and cache_negative_ttl (0: no cache). */
  cacheTtlMs?: number;
  cacheNegativeTtlMs?: number;
  /** [auth] failure_delay: how long a failed login waits before its answer. */
  failureDelayMs?: number;
  now?: () => number;
}

/** How long a ban seen in the store is trusted at connect without asking again. */
const KNOWN_BAN_TRUST_MS = 60_000;

/** The store keys of the two throttles; one client address is one key whatever socket it came in on. */
export const ipKey = (ip: string): string => `ip:${plainClientIp(ip)}`;
const accountKey = (login: string): string => `account:${addressKey(login)}`;

/**
 * Every login of every protocol (SMTP AUTH, IMAP, POP3) goes through the
 * guard. Failures are counted in the store, so they add up across protocols,
 * processes and nodes, and bans survive a restart:
 * - per client address: after maxFailures within ban_seconds the address is
 *   banned for ban_seconds (what fail2ban does, built in);
 * - per account: after accountMaxFailures within ban_seconds, from whatever
 *   addresses, each login for the account waits accountThrottleDelayMs before
 *   its password is checked. A delay, not a lock: an attacker spreading
 *   guesses over many addresses is slowed, and the owner, from an address that
 *   is not banned, still gets in with the right password.
 * Logs one stable line per failure and per ban, for fail2ban and crowdsec:
 * "auth failure from IP" and "ban IP for Ns after repeated auth failures".
 */
export class LoginGuard {
  private readonly cache: AuthCache;
  /**
   * Bans this process has seen (set here or read from the store), for the check
   * at connect, which cannot wait: each is trusted until its end or for
   * KNOWN_BAN_TRUST_MS, whichever is sooner, so that `postern ban del` reaches
   * every process's connect check within that time (a login always asks the store).
   */
  private readonly knownBans = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: LoginGuardOptions) {
    this.cache = new AuthCache({ ttlMs: options.cacheTtlMs ?? 0, negativeTtlMs: options.cacheNegativeTtlMs ?? 0 });
    this.now = options.now ?? Date.now;
  }

  async login(service: string, username: string, password: string, client: string): Promise<LoginResult> {
    const { logger, store, localDomain } = this.options;
    const clientIp = plainClientIp(client);
    const windowMs = this.options.banSeconds * 1000;
    const now = new Date(this.now());
    const login = username.includes('@') || !localDomain ? username : `${username}@${localDomain}`;
    const [address, account] = await Promise.all([store.getAuthThrottle(ipKey(clientIp), now, windowMs), store.getAuthThrottle(accountKey(login), now, windowMs)]);
    if (address.bannedUntil) {
      this.remember(clientIp, address.bannedUntil.getTime());
      logger.warn({ protocol: service, client: clientIp, user: username, event: 'auth_banned' }, `auth refused for banned client ${clientIp}`);
      return { ok: false, reason: 'banned', retryAfterMs: address.bannedUntil.getTime() - now.getTime() };
    }
    this.knownBans.delete(clientIp);
    const accountMax = this.options.accountMaxFailures ?? Infinity;
    if (account.failures >= accountMax && (this.options.accountThrottleDelayMs ?? 0) > 0) {
      logger.warn({ protocol: service, client: clientIp, user: username, event: 'auth_account_throttled', failures: account.failures }, `auth for ${username} slowed after ${account.failures} failures`);
      // A timer, not a lock: other sessions go on meanwhile, and the right password still succeeds after it.
      await sleep(this.options.accountThrottleDelayMs);
    }
    const user = await authenticateLogin(store, username, password, { localDomain, cache: this.cache });
    if (user) {
      if (address.failures > 0) await store.clearAuthFailures(ipKey(clientIp));
      logger.info({ protocol: service, client: clientIp, user: user.address, event: 'auth_ok' }, `login ${user.address} from ${clientIp}`);
      return { ok: true, user };
    }
    const [afterAddress, afterAccount] = await Promise.all([store.recordAuthFailure(ipKey(clientIp), now, windowMs), store.recordAuthFailure(accountKey(login), now, windowMs)]);
    authFailures.inc({ service });
    logger.warn({ protocol: service, client: clientIp, user: username, event: 'auth_failed', failures: afterAddress.failures }, `auth failure from ${clientIp}`);
    if (afterAddress.failures >= this.options.maxFailures) {
      const until = now.getTime() + windowMs;
      await store.banAuth(ipKey(clientIp), new Date(until));
      this.remember(clientIp, until);
      authBans.inc();
      logger.warn({ protocol: service, client: clientIp, event: 'auth_ban', seconds: this.options.banSeconds }, `ban ${clientIp} for ${this.options.banSeconds}s after repeated auth failures`);
    }
    if (afterAccount.failures === accountMax) {
      logger.warn({ protocol: service, client: clientIp, user: username, event: 'auth_account_throttle', failures: afterAccount.failures }, `throttle logins for ${username} after ${afterAccount.failures} failures`);
    }
    // Dovecot's auth_failure_delay: a failure is answered late (a timer: other clients go on meanwhile).
    if ((this.options.failureDelayMs ?? 0) > 0) await sleep(this.options.failureDelayMs);
    return { ok: false, reason: 'failed' };
  }

  /** At connect, from what this process knows; the login itself always asks the store. */
  isBanned(client: string): boolean {
    const clientIp = plainClientIp(client);
    const until = this.knownBans.get(clientIp);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.knownBans.delete(clientIp);
    return false;
  }

  private remember(clientIp: string, until: number): void {
    this.knownBans.set(clientIp, Math.min(until, this.now() + KNOWN_BAN_TRUST_MS));
  }
}
