import { mynetworksMatcher, type PosternConfig } from '@postern/config';
import { createContentScanner, type ContentScanner } from '@postern/content-scan';
import type { LoginGuard, SenderRewriting } from '@postern/directory';
import { createResolver, type Resolver } from '@postern/dns';
import type { Logger } from '@postern/log';
import { ConnectionLimiter, InFlight, loginGuardFor, senderRewritingFor, TlsProvider } from '@postern/service';
import { compilePolicy, type Policy, type PolicyEnvironment } from '@postern/smtp-policy';
import { QueueRunner } from '@postern/queue';
import type { Store } from '@postern/store';
import { compileContentChecks, type ContentChecks } from './cleanup/content-checks.js';
import { lmtpDestination } from './virtual-transport.js';
import { InFlightLimits } from './in-flight-limits.js';
import { SpoolDirectory } from './spool-directory.js';

/** What every SMTP listener of the MTA shares. */
export interface MtaContext {
  config: PosternConfig;
  store: Store;
  logger: Logger;
  /** The restriction stages, compiled once at start (a bad rule is a config error then). */
  policy: Policy;
  env: PolicyEnvironment & { resolver: Resolver };
  /** smtpd.mynetworks: clients whose mail is ours (relayed, DKIM-signed, not authenticated as inbound). */
  mynetworks: (ip: string) => boolean;
  /** smtpd.header_checks and smtpd.body_checks (Postfix cleanup); null when neither is set. */
  contentChecks: ContentChecks | null;
  /** The optional spamd/rspamd hook ([content_filter]); null when none is configured. */
  scanner: ContentScanner | null;
  /** [srs]: forwards off-site go out with an SRS sender, our SRS addresses lead back; null when off. */
  srs: SenderRewriting | null;
  /** The outbound queue's delivery runs of this process. */
  queue: QueueRunner;
  /** Every TLS context (465, STARTTLS on 25 and 587) comes from here; null without a [tls] certificate. */
  tls: TlsProvider | null;
  guard: LoginGuard;
  /** smtpd_client_connection_count_limit: sessions per client address (mynetworks exempt). */
  connections: ConnectionLimiter;
  /** max_connections_per_service: sessions per service (smtp, submission, submissions). */
  serviceConnections: ConnectionLimiter;
  inFlight: InFlight;
  /** smtpd.message_concurrency_limit and smtpd.in_flight_bytes_limit: the room for messages being received. */
  inFlightLimits: InFlightLimits;
  /** Where messages larger than MEMORY_SPOOL_LIMIT are spooled while they are received (data_dir/spool). */
  spoolDirectory: SpoolDirectory;
  /** True once shutdown began. */
  closing: boolean;
}

/** `tls` is passed in by `postern start` so that one provider serves every listener; by default one is made from [tls]. */
export function createContext(config: PosternConfig, store: Store, logger: Logger, guard?: LoginGuard, tls: TlsProvider | null = TlsProvider.fromConfig(config, logger)): MtaContext {
  const policy = compilePolicy(config);
  const resolver = createResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, dnssecTrusted: config.dns.dnssec_trusted });
  return {
    config,
    store,
    logger,
    policy,
    env: { config, store, resolver },
    mynetworks: mynetworksMatcher(config.smtpd.mynetworks),
    contentChecks: compileContentChecks(config),
    scanner: createContentScanner(config),
    srs: senderRewritingFor(config, store, logger),
    queue: new QueueRunner({ config, store, resolver, logger, lmtp: lmtpDestination(config) }),
    tls,
    guard: guard ?? loginGuardFor(config, store, logger),
    connections: new ConnectionLimiter(config.limits.smtpd_client_connection_count_limit),
    serviceConnections: new ConnectionLimiter(config.limits.max_connections_per_service),
    inFlight: new InFlight(),
    inFlightLimits: new InFlightLimits(config.smtpd.message_concurrency_limit, config.smtpd.in_flight_bytes_limit),
    spoolDirectory: SpoolDirectory.under(config.data_dir),
    closing: false,
  };
}
