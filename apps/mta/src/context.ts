import type { PosternConfig } from '@postern/config';
import type { LoginGuard } from '@postern/directory';
import { createResolver } from '@postern/dns';
import type { Logger } from '@postern/log';
import { ConnectionLimiter, InFlight, loadTls, loginGuardFor, type TlsMaterial } from '@postern/service';
import { compilePolicy, type Policy, type PolicyEnvironment } from '@postern/smtp-policy';
import type { Store } from '@postern/store';
import { Handoff, lmtpDestination } from './handoff.js';

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
