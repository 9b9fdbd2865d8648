import { mynetworksMatcher, type PosternConfig } from '@postern/config';
import { createContentScanner } from '@postern/content-scan';
import { compilePolicy } from '@postern/smtp-policy';
import { compileContentChecks } from './cleanup/content-checks.js';
import type { MtaContext } from './context.js';

/**
 * The keys reconfigureMta applies: those read from the context at each
 * command. A key ending in "." is a whole section. The rest ([listen], the
 * listener options of smtp-server such as smtpd.message_size_limit's SIZE, the
 * queue's [smtp] and [queue], [dns]) is read once at start.
 */
export const MTA_LIVE_KEYS: readonly string[] = [
  'smtpd.client_restrictions',
  'smtpd.helo_restrictions',
  'smtpd.sender_restrictions',
  'smtpd.relay_restrictions',
  'smtpd.recipient_restrictions',
  'smtpd.data_restrictions',
  'smtpd.end_of_data_restrictions',
  'smtpd.mynetworks',
  'smtpd.delay_reject',
  'smtpd.reject_code',
  'smtpd.unknown_address_reject_code',
  'smtpd.unknown_client_reject_code',
  'smtpd.unknown_hostname_reject_code',
  'smtpd.unknown_local_recipient_reject_code',
  'smtpd.non_fqdn_reject_code',
  'smtpd.invalid_hostname_reject_code',
  'smtpd.rbl_reject_code',
  'smtpd.access_map_reject_code',
  'smtpd.relay_domains_reject_code',
  'smtpd.tls_auth_only',
  'smtpd.sasl_local_domain',
  'smtpd.recipient_delimiter',
  'smtpd.forbid_bare_newline',
  'smtpd.hopcount_limit',
  'smtpd.strip_submission_received',
  'smtpd.header_checks',
  'smtpd.body_checks',
  'smtpd.policy_service_timeout',
  'smtpd.policy_service_max_idle',
  'smtpd.policy_service_max_ttl',
  'smtpd.policy_service_default_action',
  'limits.smtpd_client_connection_count_limit',
  'limits.max_connections_per_service',
  'inbound.',
  // Whether each DMARC evaluation is counted for aggregate reports (RFC 7489 §7.2).
  'dmarc_reports.',
  'content_filter.',
  'dkim.signing_table',
];

/**
 * A reload (SIGHUP) of the settings every SMTP command reads from the context:
 * the restriction stages, mynetworks, [smtpd], [inbound], [content_filter],
 * [dkim] and the connection limits. Everything is built before anything is
 * swapped, so a rule that does not compile (a ConfigError naming the key)
 * leaves the context as it was. Each command reads the context when it runs,
 * so the new settings apply from the next command of every session on.
 */
export function reconfigureMta(context: MtaContext, config: PosternConfig): void {
  const policy = compilePolicy(config);
  const mynetworks = mynetworksMatcher(config.smtpd.mynetworks);
  const scanner = createContentScanner(config);
  // The tables are read again at every reload, changed or not (Postfix rereads them when cleanup restarts).
  const contentChecks = compileContentChecks(config);
  context.config = config;
  context.policy = policy;
  context.env = { ...context.env, config };
  context.mynetworks = mynetworks;
  context.scanner = scanner;
  context.contentChecks = contentChecks;
  context.connections.setLimit(config.limits.smtpd_client_connection_count_limit);
  context.serviceConnections.setLimit(config.limits.max_connections_per_service);
}
