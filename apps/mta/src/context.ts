import type { PosternConfig } from '@postern/config';
import { LoginGuard } from '@postern/directory';
import { createResolver } from '@postern/dns';
import type { Logger } from '@postern/log';
import { compilePolicy, type Policy, type PolicyEnvironment } from '@postern/smtp-policy';
import type { Store } from '@postern/store';
import { ConnectionLimiter } from './connection-limit.js';
import { Handoff, lmtpDestination } from './handoff.js';
import { InFlight } from './in-flight.js';
import { loadTls, type TlsMaterial } from './tls.js';

/** What every SMTP listener of the MTA shares. */
export interface MtaContext {
  config: PosternConfig;
  store: Store;
  logger: Logger;
  /** The restriction stages, compiled once at start (a bad rule is a config error then). */
  policy: Policy;
  env: PolicyEnvironment;
  tls: TlsMaterial | null;
  guard: LoginGuard;
  handoff: Handoff;
  connections: ConnectionLimiter;
  inFlight: InFlight;
  /** True once shutdown began. */
  closing: boolean;
}

export function loginGuardFor(config: PosternConfig, store: Store, logger: Logger): LoginGuard {
  return new LoginGuard({
    store,
    logger,
    maxFailures: config.limits.auth_failures_before_ban,
    banSeconds: config.limits.ban_seconds,
    localDomain: config.smtpd.sasl_local_domain,
  });
}

export function createContext(config: PosternConfig, store: Store, logger: Logger, guard?: LoginGuard): MtaContext {
  const policy = compilePolicy(config);
  const resolver = createResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms });
  return {
    config,
    store,
    logger,
    policy,
    env: { config, store, resolver },
    tls: loadTls(config),
    guard: guard ?? loginGuardFor(config, store, logger),
    handoff: new Handoff(lmtpDestination(config), config.hostname),
    connections: new ConnectionLimiter(config.limits.max_connections_per_ip),
    inFlight: new InFlight(),
    closing: false,
  };
}
