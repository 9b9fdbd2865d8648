import { isIP } from 'node:net';
import { z } from 'zod';
import { describeProblem } from './errors.js';
import {
  LISTEN_EXPECTED,
  LISTEN_EXPECTED_UNIX,
  isFullyQualifiedName,
  isHostName,
  isRelayHost,
  parseDnsServer,
  parseNetwork,
  tryParseListenAddress,
} from './network.js';
import { DURATION_EXPECTED, parseDuration } from './duration.js';
import { SIZE_EXPECTED, parseSize } from './size.js';

/** zod `error` option: every failure of a field reads `<value> is not <noun> (expected …)` or `missing (expected …)`. */
function problem(noun: string, expected: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => describeProblem(issue.input, noun, expected) };
}

function section(name: string) {
  return problem('a table', `a [${name}] section`);
}

function bool(fallback: boolean) {
  return z.boolean(problem('a boolean', 'true or false')).default(fallback);
}

function integer(min: number, max: number, noun = 'a valid number') {
  const expected = problem(noun, `a whole number from ${min} to ${max}`);
  return z.number(expected).int(expected).min(min, expected).max(max, expected);
}

function text(noun: string, expected: string, valid: (value: string) => boolean = (value) => value !== '') {
  const error = problem(noun, expected);
  return z.string(error).refine(valid, error);
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, problem('a valid choice', `one of ${values.map((value) => JSON.stringify(value)).join(', ')}`));
}

function list<T extends z.ZodType>(item: T, noun: string) {
  return z.array(item, problem('a list', `a list of ${noun}`));
}

/** Accepts "50M" or a byte count; the config holds bytes. */
function size(noun: string) {
  return z
    .union([z.string(), z.number()], problem(noun, SIZE_EXPECTED))
    .transform((value, ctx) => {
      let bytes: number;
      try {
        bytes = parseSize(value);
      } catch {
        ctx.addIssue({ code: 'custom', input: value, message: describeProblem(value, noun, SIZE_EXPECTED) });
        return z.NEVER;
      }
      if (bytes === 0) {
        ctx.addIssue({ code: 'custom', input: value, message: describeProblem(value, noun, `a size above zero (${SIZE_EXPECTED})`) });
        return z.NEVER;
      }
      return bytes;
    });
}

/** Accepts "5d", "300s" or seconds; the config holds milliseconds. `allowZero` lets 0 mean "off". */
function duration(noun: string, allowZero = false) {
  return z
    .union([z.string(), z.number()], problem(noun, DURATION_EXPECTED))
    .transform((value, ctx) => {
      let ms: number;
      try {
        ms = parseDuration(value);
      } catch {
        ctx.addIssue({ code: 'custom', input: value, message: describeProblem(value, noun, DURATION_EXPECTED) });
        return z.NEVER;
      }
      if (ms === 0 && !allowZero) {
        ctx.addIssue({ code: 'custom', input: value, message: describeProblem(value, noun, `a time above zero (${DURATION_EXPECTED})`) });
        return z.NEVER;
      }
      return ms;
    });
}

const ruleList = list(text('a rule name', 'a Postfix restriction such as "permit_mynetworks"'), 'Postfix restriction names');

export const LISTEN_SERVICES = ['smtp', 'submission', 'submissions', 'lmtp', 'imap', 'imaps', 'pop3', 'pop3s', 'managesieve', 'http', 'https', 'metrics', 'mta_metrics'] as const;
export type ListenService = (typeof LISTEN_SERVICES)[number];

/** SPEC §3: the well-known ports (RFC 8314 for submissions/imaps/pop3s), LMTP on loopback only. */
export const DEFAULT_LISTEN: Readonly<Record<ListenService, readonly string[]>> = {
  smtp: ['0.0.0.0:25'],
  submission: ['0.0.0.0:587'],
  submissions: ['0.0.0.0:465'],
  lmtp: ['127.0.0.1:24'],
  imap: ['0.0.0.0:143'],
  imaps: ['0.0.0.0:993'],
  pop3: ['0.0.0.0:110'],
  pop3s: ['0.0.0.0:995'],
  // RFC 5804 §1.8: ManageSieve's registered port.
  managesieve: ['0.0.0.0:4190'],
  http: ['0.0.0.0:80'],
  https: ['0.0.0.0:443'],
  // Prometheus /metrics, /healthz and /readyz: loopback unless the postmaster opens it (9154: postfix_exporter's port).
  metrics: ['127.0.0.1:9154'],
  // The same for `postern mta` when it runs as a process of its own (its counters live there).
  mta_metrics: ['127.0.0.1:9155'],
};

function listenList(service: ListenService) {
  const allowUnix = service === 'lmtp';
  const expected = allowUnix ? LISTEN_EXPECTED_UNIX : LISTEN_EXPECTED;
  const address = text('a valid listen address', expected, (value) => tryParseListenAddress(value, allowUnix) !== null);
  const example = JSON.stringify(DEFAULT_LISTEN[service]).replaceAll(',', ', ');
  return z.array(address, problem('a list', `a list such as ${example}, or [] to turn the listener off`)).default([...DEFAULT_LISTEN[service]]);
}

const tlsLevel = oneOf(['may', 'encrypt', 'none']);
// Postfix smtp_tls_security_level: the sending side adds the verified levels and DANE (RFC 7672).
const smtpTlsLevel = oneOf(['none', 'may', 'encrypt', 'dane', 'verify', 'secure']);
const path = (what: string) => text('a path', `the path of ${what}`);

const storeShape = {
  backend: oneOf(['sqlite', 'mongodb']).default('sqlite'),
  url: text('a MongoDB connection string', 'mongodb://host:port/database or mongodb+srv://…', (value) => /^mongodb(\+srv)?:\/\/./.test(value)).optional(),
};

const listenShape = {
  smtp: listenList('smtp'),
  submission: listenList('submission'),
  submissions: listenList('submissions'),
  lmtp: listenList('lmtp'),
  imap: listenList('imap'),
  imaps: listenList('imaps'),
  pop3: listenList('pop3'),
  pop3s: listenList('pop3s'),
  managesieve: listenList('managesieve'),
  http: listenList('http'),
  https: listenList('https'),
  metrics: listenList('metrics'),
  mta_metrics: listenList('mta_metrics'),
};

const tlsShape = {
  cert: path('the certificate chain in PEM, e.g. /etc/letsencrypt/live/HOST/fullchain.pem').optional(),
  key: path('the private key in PEM, e.g. /etc/letsencrypt/live/HOST/privkey.pem').optional(),
  // Postfix smtpd_tls_protocols = >=TLSv1.2, as the guides set it.
  min_version: oneOf(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  // Pairs for other host names (RFC 6066 §3 SNI), e.g. "mail.example.org" = { cert = "…", key = "…" }; "*.example.org" covers one label.
  sni: z.record(
    z.string(),
    z.strictObject({ cert: path('the certificate chain for this name'), key: path('the private key for this name') }),
    problem('a table', 'a table of "host name" = { cert = "…", key = "…" }'),
  ).default({}),
};

const dnsShape = {
  servers: list(text('a DNS server', 'an IP address with an optional port, e.g. 127.0.0.53 or [::1]:53', (value) => parseDnsServer(value) !== null), 'DNS server addresses; [] uses the system resolver').default([]),
  timeout_ms: integer(1, 60000, 'a timeout').default(5000),
  // DANE believes an answer's AD bit only from these validating resolvers; []: the loopback ones among servers.
  dnssec_trusted: list(text('a DNS server', 'an IP address with an optional port, e.g. 127.0.0.1 or [::1]:53', (value) => parseDnsServer(value) !== null), 'validating resolvers whose AD bit is trusted; [] trusts the loopback ones among servers').default([]),
};

const smtpdShape = {
  // smtpd_banner without the version, as the guides set it; $myhostname is the hostname key.
  banner: text('a banner', 'the greeting text after 220, e.g. "$myhostname ESMTP"').default('$myhostname ESMTP'),
  helo_required: bool(true),
  disable_vrfy_command: bool(true),
  strict_rfc821_envelopes: bool(true),
  delay_reject: bool(true),
  mynetworks: list(text('a network', 'CIDR such as 192.168.0.0/16 or [2001:db8::]/32', (value) => parseNetwork(value) !== null), 'networks in CIDR form').default(['127.0.0.0/8', '[::1]/128']),
  message_size_limit: size('a size').prefault('50M'),
  recipient_limit: integer(1, 100000, 'a recipient limit').default(100),
  // Messages one MTA process receives at once (DATA to the final reply), in the spirit of
  // Postfix's process limits: past it, DATA waits for room (in_flight_wait_time), then 451 4.3.1.
  message_concurrency_limit: integer(1, 100000, 'a concurrency limit').default(20),
  // The bytes of those messages together (their SIZE= at MAIL, else their size at the final dot):
  // what bounds the process's memory, as each message is held about three times after its dot.
  in_flight_bytes_limit: size('a size').prefault('150M'),
  // How long DATA (before its 354) and the final dot wait for room before 451 4.3.1; keep it
  // under 2 minutes, the time RFC 5321 §4.5.3.2.2 has clients wait for the 354.
  in_flight_wait_time: duration('a wait time').prefault('60s'),
  // Postfix hopcount_limit: a message with more Received fields than this (ours included) is refused as a loop (RFC 5321 §6.3).
  hopcount_limit: integer(1, 1000, 'a hop count').default(50),
  // Limits on a message's structure, checked as it arrives (the MTA at end of DATA, the mailstore's LMTP):
  // Postfix mime_nesting_limit and header_size_limit (one header field, in bytes), Dovecot's max_total_mime_parts,
  // and the lines of one header section (of the message or of a part), folded lines included.
  mime_nesting_limit: integer(1, 10000, 'a nesting limit').default(100),
  mime_part_limit: integer(1, 1000000, 'a part count').default(10000),
  header_size_limit: integer(1024, 100 * 1024 * 1024, 'a size in bytes').default(102400),
  header_line_limit: integer(1, 1000000, 'a line count').default(10000),
  tls_security_level: tlsLevel.default('may'),
  tls_auth_only: bool(true),
  sasl_local_domain: text('a domain', 'the domain appended to logins without @, e.g. example.com', isHostName).optional(),
  recipient_delimiter: text('a delimiter', 'characters that start an address extension, e.g. "+" or "+-"', (value) => /^[^\s@"]{0,8}$/.test(value)).default('+'),
  // The *_reject_code family: 4xx or 5xx only (RFC 5321 §4.2.1).
  reject_code: integer(400, 599, 'a reject code').default(554),
  // Postfix's per-class codes, with Postfix's defaults.
  unknown_address_reject_code: integer(400, 599, 'a reject code').default(450),
  unknown_client_reject_code: integer(400, 599, 'a reject code').default(450),
  unknown_hostname_reject_code: integer(400, 599, 'a reject code').default(450),
  unknown_local_recipient_reject_code: integer(400, 599, 'a reject code').default(550),
  // A user `postern user disable` turned off (RFC 3463 X.2.1 mailbox disabled): 550 bounces at once,
  // 450 makes senders retry for the queue lifetime (a short suspension that must not lose mail).
  disabled_mailbox_reject_code: integer(400, 599, 'a reject code').default(550),
  non_fqdn_reject_code: integer(400, 599, 'a reject code').default(504),
  invalid_hostname_reject_code: integer(400, 599, 'a reject code').default(501),
  rbl_reject_code: integer(400, 599, 'a reject code').default(554),
  access_map_reject_code: integer(400, 599, 'a reject code').default(554),
  relay_domains_reject_code: integer(400, 599, 'a reject code').default(554),
  // smtpd_forbid_bare_newline (Postfix 3.9): bare LF/CR in DATA is normalised or refused, never an end of data.
  forbid_bare_newline: oneOf(['normalize', 'reject']).default('normalize'),
  // smtpd_hard_error_limit: disconnect (421) after this many errors in one session.
  hard_error_limit: integer(1, 1000, 'an error count').default(20),
  // smtpd_timeout: seconds to wait for a client command or data.
  timeout_seconds: integer(1, 3600, 'a timeout').default(300),
  // The guides' header_checks that drop the submission client's Received header (privacy).
  strip_submission_received: bool(false),
  // Postfix header_checks / body_checks: a regexp_table(5) file of "/regex/flags ACTION text" lines, as Postfix
  // writes them (IGNORE, REPLACE, PREPEND, REJECT, WARN, HOLD, DISCARD, DUNNO, OK), applied to every message received.
  header_checks: path('a header_checks file (Postfix regexp_table format)').optional(),
  body_checks: path('a body_checks file (Postfix regexp_table format)').optional(),
  // check_policy_service: smtpd_policy_service_timeout (the whole request), _max_idle and _max_ttl (connection
  // reuse) and _default_action (what applies when the service cannot be asked), with Postfix's defaults.
  policy_service_timeout: duration('a timeout').prefault('100s'),
  policy_service_max_idle: duration('an idle time').prefault('300s'),
  policy_service_max_ttl: duration('a time to live').prefault('1000s'),
  policy_service_default_action: text('an access action', 'an access(5) action, e.g. "451 4.3.5 Server configuration problem" or "DUNNO"').default('451 4.3.5 Server configuration problem'),
  client_restrictions: ruleList.default([]),
  helo_restrictions: ruleList.default([]),
  sender_restrictions: ruleList.default([]),
  relay_restrictions: ruleList.default(['permit_mynetworks', 'permit_sasl_authenticated', 'reject_unauth_destination']),
  recipient_restrictions: ruleList.default([]),
  data_restrictions: ruleList.default([]),
  end_of_data_restrictions: ruleList.default([]),
};

const smtpShape = {
  // none | may (opportunistic) | encrypt (TLS required) | verify (chain and MX host name) | secure (chain and next-hop name).
  tls_security_level: smtpTlsLevel.default('may'),
  // Postfix smtp_tls_CAfile: the CAs trusted at verify/secure; unset: the system store.
  tls_CAfile: path('a PEM file of trusted CA certificates').optional(),
  // The level for smtp.relayhost; unset: tls_security_level, and AUTH only over a verified connection.
  relayhost_tls_security_level: smtpTlsLevel.optional(),
  // Postfix smtp_bind_address / smtp_bind_address6.
  bind_address: text('an IP address', 'a local IPv4 or IPv6 address', (value) => isIP(value) !== 0).optional(),
  relayhost: text('a relay host', 'host, [host] or either with :port, e.g. [smtp.sendgrid.net]:587', isRelayHost).optional(),
  // smtp_sasl_password_maps for the relay host (SendGrid, Mailgun, SES): a user name and a password or a file holding it.
  relayhost_username: text('a user name', 'the relay host login, e.g. apikey').optional(),
  relayhost_password: text('a password', 'the relay host password (or use relayhost_password_file)').optional(),
  relayhost_password_file: path('a file whose first line is the relay host password').optional(),
  // transport_maps: a next hop per recipient domain, e.g. { "example.net" = "[10.0.0.5]:2525" }.
  transport_maps: z.record(z.string(), text('a next hop', '[host]:port or host:port, e.g. [10.0.0.5]:2525', isRelayHost), problem('a table', 'a table of domain = "[host]:port"')).default({}),
  // The port MX hosts are reached on (RFC 5321 §4.5.4.1: 25); only tests and odd networks change it.
  port: integer(1, 65535, 'a port').default(25),
  // Postfix smtp_helo_name; unset: the hostname.
  helo_name: text('a host name', 'the name sent in EHLO, e.g. mail.example.com', isHostName).optional(),
  // Postfix smtp_connect_timeout and the command/data timeouts, in one value.
  connect_timeout: duration('a timeout').prefault('30s'),
  timeout: duration('a timeout').prefault('300s'),
  // Postfix default_destination_concurrency_limit: parallel deliveries to one destination.
  destination_concurrency_limit: integer(1, 1000, 'a concurrency limit').default(20),
  // Parallel deliveries in all (Postfix default_process_limit).
  process_limit: integer(1, 10000, 'a process limit').default(100),
  // Postfix smtp_connection_cache_on_demand: while a destination has a backlog, a session that ended its
  // transaction cleanly waits for the next message there instead of QUIT.
  connection_cache_on_demand: bool(true),
  // Postfix smtp_connection_cache_time_limit: how long an idle cached session waits.
  connection_cache_time_limit: duration('a time limit').prefault('2s'),
  // Postfix smtp_connection_reuse_time_limit: a session is not cached again once this old.
  connection_reuse_time_limit: duration('a time limit').prefault('300s'),
  // Postfix smtp_connection_reuse_count_limit: transactions per session at most; 0: no limit.
  connection_reuse_count_limit: integer(0, 1_000_000, 'a count limit').default(0),
  // RFC 8461: honour the MTA-STS policies recipient domains publish (enforce: verified TLS to a listed MX, or wait).
  mta_sts: bool(true),
  // The port of https://mta-sts.DOMAIN/ (RFC 8461 §3.3: 443); only tests change it.
  mta_sts_port: integer(1, 65535, 'a port').default(443),
};

const queueShape = {
  // Postfix's names and defaults, except maximal_backoff_time: "growing to hours".
  maximal_queue_lifetime: duration('a lifetime').prefault('5d'),
  bounce_queue_lifetime: duration('a lifetime').prefault('5d'),
  delay_warning_time: duration('a delay', true).prefault('4h'),
  minimal_backoff_time: duration('a backoff time').prefault('300s'),
  maximal_backoff_time: duration('a backoff time').prefault('4h'),
  // How often a runner looks for due entries written by other processes (in-process enqueues wake it at once).
  queue_run_delay: duration('a delay').prefault('5s'),
  // A delivery lease: another runner may take the entry over once it expires (a crashed runner's entries).
  lease_time: duration('a lease time').prefault('10m'),
};

const dkimShape = {
  // OpenDKIM's SigningTable: sender address (or *@domain) = selector of that domain's key.
  signing_table: z.record(z.string(), text('a selector', 'a DKIM selector of the sender\'s domain, e.g. 202611', (value) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)), problem('a table', 'a table of "sender" = "selector"')).default({}),
  // How long a key stays published after its pending successor (postern dkim rotate) starts signing.
  rotation_grace: duration('a grace period').prefault('7d'),
  // A key `postern dkim rotate` made signs once its TXT record is seen in DNS (postern dns check, postern dkim activate)
  // or, unchecked, after this long: 2 days covers the longest TTLs of the usual DNS hosts (one day) twice over.
  publish_delay: duration('a delay').prefault('48h'),
};

const inboundShape = {
  // SPF, DKIM, DMARC and ARC checks with Authentication-Results on mail received on port 25.
  authenticate: bool(true),
  // OpenDMARC RejectFailures: p=reject fails get 550 5.7.1 at end of data (false: delivered, marked).
  dmarc_reject: bool(true),
  // p=quarantine fails are filed into Junk.
  dmarc_quarantine: bool(true),
};

const contentFilterShape = {
  // spamd (the spamc protocol) or rspamd (its HTTP protocol); "none" scans nothing.
  scanner: oneOf(['none', 'spamd', 'rspamd']).default('none'),
  address: text('a scanner address', 'host:port, e.g. 127.0.0.1:783 (spamd) or 127.0.0.1:11333 (rspamd)', isRelayHost).optional(),
  // Score at or above which mail is refused (550 5.7.1); unset: never refused, only filed into Junk.
  reject_score: z.number(problem('a score', 'a number, e.g. 15')).optional(),
  timeout: duration('a timeout').prefault('30s'),
  // Larger messages are passed unscanned (spamc's own default is 500K).
  max_size: size('a size').prefault('2M'),
};

const mtaStsShape = {
  // RFC 8461 §3.2: the policy's mode and max_age (seconds; at most 31557600); "testing" only reports, "enforce" refuses to deliver without TLS.
  mode: oneOf(['enforce', 'testing', 'none']).default('testing'),
  max_age: integer(1, 31557600, 'a max_age').default(604800),
  // The policy's mx: patterns (e.g. "mail.example.com", "*.example.net"); [] lists the hostname.
  mx: list(text('an MX pattern', 'a host name or *.domain, e.g. mail.example.com', (value) => isHostName(value.replace(/^\*\./, ''))), 'MX host names').default([]),
};

const tlsrptShape = {
  // RFC 8460: count every outbound TLS session per policy domain and send each domain that publishes
  // a _smtp._tls TXT record (rua=mailto:) a daily aggregate report.
  enabled: bool(false),
  // The report's organization-name (RFC 8460 §4.4); unset: the hostname.
  organization_name: text('an organization name', 'who sends the reports, e.g. "Example Inc."').optional(),
  // The report's contact-info and its From: address; unset: postmaster@hostname.
  contact_info: text('a contact', 'an address or URL, e.g. tlsrpt@example.com').optional(),
  from: text('an address', 'the From: of the reports, e.g. tlsrpt-noreply@example.com', (value) => /^[^\s@]+@[^\s@]+$/.test(value)).optional(),
};

const dmarcReportsShape = {
  // RFC 7489 §7.2: count the DMARC evaluation of every message received on port 25 and send each
  // policy domain whose record has rua=mailto: a daily aggregate report (XML, gzip'd).
  enabled: bool(false),
  // The report's org_name (RFC 7489 Appendix C report_metadata); unset: the hostname.
  org_name: text('an organization name', 'who sends the reports, e.g. "Example Inc."').optional(),
  // The reports' From: and report_metadata email; unset: postmaster@ the hostname's nearest local
  // domain (mail.example.com → example.com), whose DKIM key signs them: §7.2.1.1 wants report mail
  // to pass DMARC itself, and a hostname seldom has a key of its own.
  from: text('an address', 'the From: of the reports, e.g. dmarc-noreply@example.com', (value) => /^[^\s@]+@[^\s@]+$/.test(value)).optional(),
  // Largest report message sent; a destination's smaller "!size" limit (RFC 7489 §6.2) wins.
  max_report_size: size('a size').prefault('10M'),
  // The UTC hour from which the previous day's reports go out.
  send_hour: integer(0, 23, 'an hour').default(1),
};

const srsShape = {
  // The Sender Rewriting Scheme for mail forwarded off-site (aliases, Sieve redirect). Unset: on
  // whenever a secret exists, which is always once secret_file has been created at the first start.
  enabled: z.boolean(problem('a boolean', 'true or false')).optional(),
  // The domain of the SRS0=…@domain senders; bounces to it must reach this server (its MX) and its SPF
  // must allow this host. Unset: myorigin (postsrsd's default is Postfix's mydomain, the hostname's parent,
  // which myorigin is whenever that parent is a local domain).
  domain: text('a domain', 'the domain of rewritten senders, e.g. example.com', isHostName).optional(),
  // Keys of the hash: the first signs, every one verifies (a rotation: put the new key first).
  secrets: list(text('a secret', 'a random string of at least 16 characters', (value) => value.length >= 16), 'secrets').default([]),
  // A file of keys, one a line, the first signing (postsrsd's secret file). Unset: data_dir/srs.secret,
  // created (mode 0600, random bytes) at the first start when missing.
  secret_file: path('a file of SRS secrets').optional(),
};

const loginShape = { allow_cleartext_auth: bool(false) };

const imapShape = {
  ...loginShape,
  // Change journal retention (RFC 7162 CONDSTORE/IDLE resync): older entries are pruned; a
  // session or client asking from before the window gets a full resync, never a partial answer.
  journal_retention: duration('a retention period').prefault('30d'),
};

const sieveShape = {
  // Pigeonhole's sieve_before / sieve_after: global Sieve files run around each user's active
  // script at delivery. Unset "before" runs the shipped rule (X-Spam-Flag: YES → the \Junk mailbox);
  // point it at an empty file to run nothing.
  before: path('a Sieve script run before the user\'s').optional(),
  after: path('a Sieve script run after the user\'s').optional(),
  // ManageSieve quota (RFC 5804 §2.5 HAVESPACE, §1.3 QUOTA/MAXSCRIPTS and QUOTA/MAXSIZE).
  max_scripts: integer(1, 10000, 'a script count').default(20),
  max_script_size: size('a size').prefault('64K'),
  // RFC 5804 §1.7 MAXREDIRECTS: redirect actions one script run may take.
  max_redirects: integer(0, 100, 'a redirect count').default(4),
  // Redirects per user per day (per mailstore process): a hostile script cannot turn the server into a relay.
  redirects_per_day: integer(0, 1000000, 'a redirect count').default(100),
};

const authShape = {
  // Dovecot's auth_cache_ttl: a verified password is remembered this long (0: no cache). A
  // `user passwd` anywhere makes every earlier entry for the user miss at once.
  cache_ttl: duration('a cache lifetime', true).prefault('1h'),
  // auth_cache_negative_ttl: a failed password is remembered this long (0: not at all).
  cache_negative_ttl: duration('a cache lifetime', true).prefault('1h'),
  // auth_failure_delay: a failed login is answered after this long.
  failure_delay: duration('a delay', true).prefault('1s'),
  // A login for an account with limits.auth_account_failures_before_throttle recent failures
  // waits this long before its password is checked: slowed, never locked, so the owner still gets in.
  account_throttle_delay: duration('a delay', true).prefault('5s'),
};

const limitsShape = {
  // IMAP and POP3 connections from one address that have not logged in yet.
  max_connections_per_ip: integer(1, 100000, 'a connection limit').default(20),
  // Dovecot's mail_max_userip_connections: logged-in IMAP (and POP3) sessions per user and address.
  mail_max_userip_connections: integer(1, 100000, 'a connection limit').default(10),
  // Postfix's smtpd_client_connection_count_limit: SMTP sessions per client address; mynetworks is exempt.
  smtpd_client_connection_count_limit: integer(1, 100000, 'a connection limit').default(50),
  // Postfix's default_process_limit / Dovecot's client_limit: open connections per service.
  max_connections_per_service: integer(1, 1000000, 'a connection limit').default(1000),
  auth_failures_before_ban: integer(1, 100000, 'a failure count').default(10),
  ban_seconds: integer(1, 31536000, 'a ban duration').default(600),
  // Failed logins for one account, from any addresses, within ban_seconds before its logins are slowed.
  auth_account_failures_before_throttle: integer(1, 100000, 'a failure count').default(20),
  // Dovecot's `service imap { process_limit }`: `postern mailstore` forks this many worker processes
  // sharing the listeners (node:cluster), so that the mailstore uses every core; "auto" is one per core
  // (os.availableParallelism()), the default, as Dovecot serves sessions from as many processes as it
  // needs. 1: one process. Needs a restart.
  mailstore_processes: z
    .union([z.literal('auto'), integer(1, 64, 'a process count')], problem('a process count', 'a whole number from 1 to 64, or "auto"'))
    .default('auto'),
};

const rootShape = {
  hostname: text('a fully qualified name', "the server's fully qualified name, e.g. mail.example.com", isFullyQualifiedName),
  data_dir: path('the directory for the store and keys').default('/var/lib/postern'),
  // Postfix myorigin: the domain a bare local name ("root", from sendmail) is qualified with; unset:
  // the hostname or its nearest parent that is a local domain, else the first local domain.
  myorigin: text('a domain', 'a domain for bare local names, e.g. example.com', isHostName).optional(),
  // Postfix mydestination: names of this host itself ("$myhostname" is the hostname; the machine's own
  // name is always one); sendmail and `alias` rewrite their addresses (root@localhost, mailutils'
  // root@vm) to myorigin, where the aliases of the system's names live.
  mydestination: list(text('a host name', 'a name of this host, e.g. localhost or $myhostname', (value) => value === '$myhostname' || isHostName(value)), 'host names').default(['$myhostname', 'localhost']),
  // Postfix virtual_transport: where the MTA hands local mail over LMTP; unset means the first listen.lmtp address.
  virtual_transport: text('an LMTP destination', 'lmtp:HOST:PORT or lmtp:unix:/path, e.g. lmtp:127.0.0.1:24', (value) => value.startsWith('lmtp:') && tryParseListenAddress(value.slice(5), true) !== null).optional(),
  store: z.strictObject(storeShape, section('store')).prefault({}),
  listen: z.strictObject(listenShape, section('listen')).prefault({}),
  tls: z.strictObject(tlsShape, section('tls')).prefault({}),
  dns: z.strictObject(dnsShape, section('dns')).prefault({}),
  smtpd: z.strictObject(smtpdShape, section('smtpd')).prefault({}),
  smtp: z.strictObject(smtpShape, section('smtp')).prefault({}),
  queue: z.strictObject(queueShape, section('queue')).prefault({}),
  dkim: z.strictObject(dkimShape, section('dkim')).prefault({}),
  inbound: z.strictObject(inboundShape, section('inbound')).prefault({}),
  content_filter: z.strictObject(contentFilterShape, section('content_filter')).prefault({}),
  mta_sts: z.strictObject(mtaStsShape, section('mta_sts')).prefault({}),
  tlsrpt: z.strictObject(tlsrptShape, section('tlsrpt')).prefault({}),
  dmarc_reports: z.strictObject(dmarcReportsShape, section('dmarc_reports')).prefault({}),
  srs: z.strictObject(srsShape, section('srs')).prefault({}),
  imap: z.strictObject(imapShape, section('imap')).prefault({}),
  pop3: z.strictObject(loginShape, section('pop3')).prefault({}),
  managesieve: z.strictObject(loginShape, section('managesieve')).prefault({}),
  sieve: z.strictObject(sieveShape, section('sieve')).prefault({}),
  auth: z.strictObject(authShape, section('auth')).prefault({}),
  limits: z.strictObject(limitsShape, section('limits')).prefault({}),
};

/** Every key the file may hold, by table ('' is the top level): for "unknown key" hints and `config get`. */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': Object.keys(rootShape),
  store: Object.keys(storeShape),
  listen: Object.keys(listenShape),
  tls: Object.keys(tlsShape),
  dns: Object.keys(dnsShape),
  smtpd: Object.keys(smtpdShape),
  smtp: Object.keys(smtpShape),
  queue: Object.keys(queueShape),
  dkim: Object.keys(dkimShape),
  inbound: Object.keys(inboundShape),
  content_filter: Object.keys(contentFilterShape),
  mta_sts: Object.keys(mtaStsShape),
  tlsrpt: Object.keys(tlsrptShape),
  dmarc_reports: Object.keys(dmarcReportsShape),
  srs: Object.keys(srsShape),
  imap: Object.keys(imapShape),
  pop3: Object.keys(loginShape),
  managesieve: Object.keys(loginShape),
  sieve: Object.keys(sieveShape),
  auth: Object.keys(authShape),
  limits: Object.keys(limitsShape),
};

export const configSchema = z.strictObject(rootShape).superRefine((config, ctx) => {
  if (config.store.backend === 'mongodb' && config.store.url === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['store', 'url'],
      message: 'missing (expected a MongoDB connection string such as mongodb://127.0.0.1:27017/postern when store.backend is "mongodb")',
    });
  }
  if (config.smtp.relayhost_password !== undefined && config.smtp.relayhost_password_file !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['smtp', 'relayhost_password_file'], message: 'set together with smtp.relayhost_password (expected only one of them)' });
  }
  if (config.content_filter.scanner !== 'none' && config.content_filter.address === undefined) {
    ctx.addIssue({ code: 'custom', path: ['content_filter', 'address'], message: `missing (expected the ${config.content_filter.scanner} address, e.g. ${config.content_filter.scanner === 'spamd' ? '127.0.0.1:783' : '127.0.0.1:11333'})` });
  }
  if (config.tls.cert !== undefined && config.tls.key === undefined) {
    ctx.addIssue({ code: 'custom', path: ['tls', 'key'], message: 'missing (expected the private key that goes with tls.cert, e.g. /etc/letsencrypt/live/HOST/privkey.pem)' });
  }
  for (const name of Object.keys(config.tls.sni).filter((sniName) => !isFullyQualifiedName(sniName.replace(/^\*\./, '')))) {
    ctx.addIssue({ code: 'custom', path: ['tls', 'sni', name], message: `"${name}" is not a host name (expected e.g. mail.example.org, or *.example.org for one label below it)` });
  }
  if (Object.keys(config.tls.sni).length > 0 && config.tls.cert === undefined) {
    ctx.addIssue({ code: 'custom', path: ['tls', 'cert'], message: 'missing (tls.sni needs the default pair tls.cert and tls.key, served to every other name)' });
  }
  if (config.tls.key !== undefined && config.tls.cert === undefined) {
    ctx.addIssue({ code: 'custom', path: ['tls', 'cert'], message: 'missing (expected the certificate chain that goes with tls.key, e.g. /etc/letsencrypt/live/HOST/fullchain.pem)' });
  }
});

/** The whole configuration with every default filled in; paths are absolute once loaded. */
export type PosternConfig = z.output<typeof configSchema>;
