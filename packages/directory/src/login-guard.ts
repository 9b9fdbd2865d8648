import { setTimeout as sleep } from 'node:timers/promises';
import { AuthCache, AuthThrottle } from '@postern/auth';
import { authBans, authFailures } from '@postern/metrics';
import type { Store, User } from '@postern/store';
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
  maxFailures: number;
  banSeconds: number;
  /** smtpd_sasl_local_domain. */
  localDomain?: string;
  /** [auth] cache_ttl and cache_negative_ttl (0: no cache). */
  cacheTtlMs?: number;
  cacheNegativeTtlMs?: number;
  /** [auth] failure_delay: how long a failed login waits before its answer. */
  failureDelayMs?: number;
}

/**
 * Every login of every protocol (SMTP AUTH, IMAP, POP3) goes through one
 * guard per process, so failures on one protocol count against the IP on all.
 * Logs one stable line per failure and per ban, for fail2ban and crowdsec:
 * "auth failure from IP" and "ban IP for Ns after repeated auth failures".
 */
export class LoginGuard {
  private readonly throttle: AuthThrottle;
  private readonly cache: AuthCache;

  constructor(private readonly options: LoginGuardOptions) {
    this.throttle = new AuthThrottle({ maxFailures: options.maxFailures, banMs: options.banSeconds * 1000 });
    this.cache = new AuthCache({ ttlMs: options.cacheTtlMs ?? 0, negativeTtlMs: options.cacheNegativeTtlMs ?? 0 });
  }

  async login(service: string, username: string, password: string, clientIp: string): Promise<LoginResult> {
    const { logger, store, localDomain } = this.options;
    const before = this.throttle.state(clientIp);
    if (before.banned) {
      logger.warn({ protocol: service, client: clientIp, user: username, event: 'auth_banned' }, `auth refused for banned client ${clientIp}`);
      return { ok: false, reason: 'banned', retryAfterMs: before.remainingMs };
    }
    const user = await authenticateLogin(store, username, password, { localDomain, cache: this.cache });
    if (user) {
      this.throttle.succeed(clientIp);
      logger.info({ protocol: service, client: clientIp, user: user.address, event: 'auth_ok' }, `login ${user.address} from ${clientIp}`);
      return { ok: true, user };
    }
    const after = this.throttle.fail(clientIp);
    authFailures.inc({ service });
    logger.warn({ protocol: service, client: clientIp, user: username, event: 'auth_failed', failures: after.failures }, `auth failure from ${clientIp}`);
    if (after.banned) {
      const seconds = Math.ceil(after.remainingMs / 1000);
      authBans.inc();
      logger.warn({ protocol: service, client: clientIp, event: 'auth_ban', seconds }, `ban ${clientIp} for ${seconds}s after repeated auth failures`);
    }
    // Dovecot's auth_failure_delay: a failure is answered late (a timer: other clients go on meanwhile).
    if ((this.options.failureDelayMs ?? 0) > 0) await sleep(this.options.failureDelayMs);
    return { ok: false, reason: 'failed' };
  }

  isBanned(clientIp: string): boolean {
    return this.throttle.state(clientIp).banned;
  }
}
