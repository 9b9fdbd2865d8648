import type { PosternConfig } from '@postern/config';
import { LoginGuard, type LoginResult } from '@postern/directory';
import type { Logger } from '@postern/log';
import type { Store } from '@postern/store';
import { ConnectionLimiter } from './connection-limit.js';
import { loadTls, type TlsMaterial } from './tls.js';

export type { LoginResult };

/** What every protocol service of the mailstore shares. */
export interface MailstoreContext {
  config: PosternConfig;
  store: Store;
  logger: Logger;
  tls: TlsMaterial | null;
  connections: ConnectionLimiter;
  /** Checks a login with per-IP throttling; logs failures and bans in one stable form. */
  login(service: string, username: string, password: string, clientIp: string): Promise<LoginResult>;
}

/** The guard is passed in by `postern start` so the MTA and the mailstore count failures together. */
export function loginGuardFor(config: PosternConfig, store: Store, logger: Logger): LoginGuard {
  return new LoginGuard({
    store,
    logger,
    maxFailures: config.limits.auth_failures_before_ban,
    banSeconds: config.limits.ban_seconds,
    localDomain: config.smtpd.sasl_local_domain,
  });
}

export function createContext(config: PosternConfig, store: Store, logger: Logger, guard = loginGuardFor(config, store, logger)): MailstoreContext {
  return {
    config,
    store,
    logger,
    tls: loadTls(config),
    connections: new ConnectionLimiter(config.limits.max_connections_per_ip),
    login: (service, username, password, clientIp) => guard.login(service, username, password, clientIp),
  };
}
