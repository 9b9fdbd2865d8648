import type { PosternConfig } from '@postern/config';
import { LoginGuard } from '@postern/directory';
import type { Logger } from '@postern/log';
import type { Store } from '@postern/store';

/**
 * The login guard of `[auth]`, `[limits]` and smtpd.sasl_local_domain. `postern start`
 * makes one and hands it to the MTA and the mailstore, so failed logins on
 * SMTP, IMAP and POP3 count together.
 */
export function loginGuardFor(config: PosternConfig, store: Store, logger: Logger): LoginGuard {
  return new LoginGuard({
    store,
    logger,
    maxFailures: config.limits.auth_failures_before_ban,
    banSeconds: config.limits.ban_seconds,
    accountMaxFailures: config.limits.auth_account_failures_before_throttle,
    accountThrottleDelayMs: config.auth.account_throttle_delay,
    localDomain: config.smtpd.sasl_local_domain,
    cacheTtlMs: config.auth.cache_ttl,
    cacheNegativeTtlMs: config.auth.cache_negative_ttl,
    failureDelayMs: config.auth.failure_delay,
  });
}
