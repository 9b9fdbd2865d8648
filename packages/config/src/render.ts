import { ConfigError } from './errors.js';
import { parseConfigText } from './load.js';
import { DEFAULT_LISTEN, LISTEN_SERVICES } from './schema.js';
import type { ListenService } from './schema.js';

export interface InitialConfigOptions {
  hostname: string;
  dataDir: string;
  certPath?: string;
  keyPath?: string;
  /** Listeners to write instead of the defaults (tests move them to loopback and high ports). */
  listen?: Partial<Record<ListenService, readonly string[]>>;
}

// A JSON string is a valid TOML basic string: the same quote and escapes.
const str = (value: string): string => JSON.stringify(value);
const strings = (values: readonly string[]): string => `[${values.map(str).join(', ')}]`;

const LISTEN_NOTES: Record<ListenService, string> = {
  smtp: 'MX: mail from other servers (master.cf "smtp inet")',
  submission: 'clients sending mail, STARTTLS then AUTH (master.cf "submission")',
  submissions: 'clients sending mail over implicit TLS, RFC 8314 (master.cf "submissions"/"smtps")',
  lmtp: 'MTA → mailstore delivery; keep it on loopback or a unix:/path socket',
  imap: 'IMAP with STARTTLS (Dovecot imap)',
  imaps: 'IMAP over implicit TLS (Dovecot imaps)',
  pop3: 'POP3 with STLS (Dovecot pop3)',
  pop3s: 'POP3 over implicit TLS (Dovecot pop3s)',
  managesieve: 'ManageSieve, RFC 5804: users upload their filters and vacation replies (Roundcube, Thunderbird)',
  http: 'client autoconfiguration (Thunderbird, Outlook, Apple) and the MTA-STS policy',
  https: 'the same over TLS with the [tls] certificate (MTA-STS policies are fetched over HTTPS only)',
  metrics: 'Prometheus /metrics, /healthz and /readyz of postern start or postern mailstore; keep it on loopback or a private network',
  mta_metrics: 'the same for postern mta when the MTA runs as a process of its own (split deployments)',
};

/**
 * The commented postern.toml that `postern init` writes. Every setting the
 * guides turn is written out with its value, so a postmaster sees what is in
 * force; the text is checked by loading it before it is returned.
 */
export function renderInitialConfig(options: InitialConfigOptions): string {
  const listenLines = LISTEN_SERVICES.map((service) => {
    const addresses = options.listen?.[service] ?? DEFAULT_LISTEN[service];
    return `# ${LISTEN_NOTES[service]}\n${service} = ${strings(addresses)}`;
  }).join('\n');
  const tlsLines =
    options.certPath !== undefined && options.keyPath !== undefined
      ? `cert = ${str(options.certPath)}\nkey = ${str(options.keyPath)}`
      : '# cert = "/etc/letsencrypt/live/HOST/fullchain.pem"\n# key = "/etc/letsencrypt/live/HOST/privkey.pem"';

  const text = `# Postern configuration. Check it with: postern config check
# Change a value with: postern config set KEY VALUE (comments are kept).
# Relative paths are taken from the directory of this file.

# The server's own name: Postfix myhostname. It is used in the SMTP banner and
# HELO, and must have A/AAAA and PTR records. Mail domains are not listed here:
# they live in the store (postern domain add), replacing mydestination and
# virtual_mailbox_domains.
hostname = ${str(options.hostname)}

# Where the embedded store, DKIM keys and the queue are kept.
data_dir = ${str(options.dataDir)}

[store]
# "sqlite": one machine, nothing to set up (the file is data_dir/postern.sqlite).
# "mongodb": a replica set shared by any number of MTA and mailstore nodes.
backend = "sqlite"
# url = "mongodb://127.0.0.1:27017/postern"

[listen]
# Each service listens on a list of "host:port" or "[v6]:port" addresses;
# [] turns it off. This replaces Postfix inet_interfaces and master.cf.
${listenLines}

[tls]
# Postfix smtpd_tls_cert_file / smtpd_tls_key_file, Dovecot ssl_cert / ssl_key:
# certbot's fullchain.pem and privkey.pem work as they are, and are reloaded
# when they change.
${tlsLines}
# Postfix smtpd_tls_protocols = >=TLSv1.2.
min_version = "TLSv1.2"

[dns]
# Resolvers for MX, SPF, DKIM, DMARC and DNSBL lookups; [] uses the system's.
servers = []
timeout_ms = 5000
# DANE (smtp.tls_security_level = "dane") believes DNSSEC (an answer's AD bit)
# only from these validating resolvers; [] trusts the loopback ones among
# servers (or the system's), as Postfix's DANE guide asks: a local unbound.
dnssec_trusted = []

[smtpd]
# The receiving side, with Postfix's smtpd_* names and the guides' values.
# smtpd_banner: never show the software or its version.
banner = "$myhostname ESMTP"
# smtpd_helo_required, disable_vrfy_command, strict_rfc821_envelopes,
# smtpd_delay_reject (reject at RCPT TO so the log shows sender and recipient).
helo_required = true
disable_vrfy_command = true
strict_rfc821_envelopes = true
delay_reject = true
# mynetworks: clients trusted to relay without AUTH (permit_mynetworks).
mynetworks = ["127.0.0.0/8", "[::1]/128"]
# message_size_limit: bytes, or K/M/G with 1024-based units.
message_size_limit = "50M"
# smtpd_recipient_limit
recipient_limit = 100
# Memory: messages one MTA process receives at once, and their bytes together
# (SIZE= from MAIL, else the size at the final dot). Past either, DATA waits
# for room without a 354 (the client sends nothing meanwhile), then 451 4.3.1;
# SIZE= above in_flight_bytes_limit gets 452 4.3.1 at MAIL. A message is held
# in memory up to 1 MiB while it arrives, then in a file under data_dir/spool;
# after its final dot it is in memory about twice over (the message and the
# store's copy while the queue writes it; deliveries read the queue 1 MiB at a
# time). The MTA's peak memory is about 100 MiB + message_concurrency_limit x
# 1.5 MiB + 2 x in_flight_bytes_limit: 430 MiB with these values.
message_concurrency_limit = 20
in_flight_bytes_limit = "150M"
in_flight_wait_time = "60s"
# hopcount_limit: more Received fields than this and the message is a loop (554 5.4.6).
hopcount_limit = 50
# Message structure limits, checked as the message arrives (552 5.3.4 / 554 5.6.0 at end of DATA, and in LMTP):
# mime_nesting_limit (Postfix), mime_part_limit (Dovecot's max_total_mime_parts),
# header_size_limit (bytes of one header field, Postfix) and header_line_limit (lines of one header section).
mime_nesting_limit = 100
mime_part_limit = 10000
header_size_limit = 102400
header_line_limit = 10000
# smtpd_tls_security_level: "may" offers STARTTLS, "encrypt" requires it.
tls_security_level = "may"
# smtpd_tls_auth_only: no AUTH before TLS.
tls_auth_only = true
# smtpd_sasl_local_domain: appended to logins without @.
# sasl_local_domain = "example.com"
# recipient_delimiter: user+tag@example.com is delivered to user@example.com.
recipient_delimiter = "+"
# reject_code (and the other *_reject_code settings): 554 as the guides set it.
reject_code = 554
# Restriction stages (smtpd_<stage>_restrictions), lists of Postfix rule names
# evaluated in order as Postfix does, e.g. "reject_non_fqdn_sender",
# "reject_unknown_sender_domain", "reject_rbl_client zen.spamhaus.org".
client_restrictions = []
helo_restrictions = []
sender_restrictions = []
# smtpd_relay_restrictions: what keeps this server from being an open relay.
relay_restrictions = ["permit_mynetworks", "permit_sasl_authenticated", "reject_unauth_destination"]
recipient_restrictions = []
data_restrictions = []
end_of_data_restrictions = []
# check_policy_service inet:host:port (or unix:/path) in a list asks a policy
# server (postgrey, policyd-spf, policyd-rate-limit) with Postfix's protocol.
# smtpd_policy_service_timeout, _max_idle, _max_ttl, and the action when the
# service cannot be asked (Postfix's default; "DUNNO" lets mail through).
policy_service_timeout = "100s"
policy_service_max_idle = "300s"
policy_service_max_ttl = "1000s"
policy_service_default_action = "451 4.3.5 Server configuration problem"
# Postfix header_checks / body_checks: a regexp_table(5) file, Postfix's format
# unchanged ("/^Subject: .*viagra/ REJECT no thanks"). postern reload rereads it.
# header_checks = "/etc/postern/header_checks"
# body_checks = "/etc/postern/body_checks"

[smtp]
# The sending side. smtp_tls_security_level: "none", "may" (opportunistic),
# "encrypt" (TLS required), "verify" (certificate chain and MX host name),
# "secure" (certificate chain and the next-hop domain or relay host name),
# "dane" (RFC 7672: TLSA records of a DNSSEC-signed MX decide, else "may").
tls_security_level = "may"
# smtp_tls_CAfile: CAs trusted at "verify"/"secure" (unset: the system store).
# tls_CAfile = "/etc/ssl/certs/ca-certificates.crt"
# smtp_bind_address: the local address outgoing connections come from.
# bind_address = "192.0.2.25"
# relayhost: send everything through a smarthost (brackets: no MX lookup).
# relayhost = "[smtp.example.net]:587"
# The relay host login goes only over a verified connection ("verify") unless
# this says otherwise, e.g. "encrypt" for a relay without a trusted certificate.
# relayhost_tls_security_level = "verify"
# Postfix's connection cache: while a destination has a backlog, a session that
# ended its transaction cleanly waits connection_cache_time_limit for the next
# message there (RSET first), for at most connection_reuse_time_limit and
# connection_reuse_count_limit transactions (0: no limit).
connection_cache_on_demand = true
connection_cache_time_limit = "2s"
connection_reuse_time_limit = "300s"
connection_reuse_count_limit = 0
# RFC 8461: honour the MTA-STS policies of recipient domains ("enforce": only a
# listed MX with a valid certificate, else the mail waits; "testing": reported).
mta_sts = true
# The policy host's port (RFC 8461: 443); only tests change it.
# mta_sts_port = 443

[tlsrpt]
# RFC 8460: daily TLS reports to each domain that publishes _smtp._tls (rua=mailto:).
enabled = false
# organization_name = "Example Inc."    # unset: the hostname
# contact_info = "tlsrpt@example.com"    # unset: postmaster@hostname
# from = "tlsrpt-noreply@example.com"   # unset: postmaster@hostname

[dmarc_reports]
# RFC 7489 §7.2: count the DMARC result of mail received on port 25 and send each
# domain whose DMARC record has rua=mailto: a daily aggregate report.
enabled = false
# org_name = "Example Inc."             # unset: the hostname
# from = "dmarc-noreply@example.com"    # unset: postmaster@ the hostname's local domain (its DKIM key signs the reports)
max_report_size = "10M"                 # a destination's smaller "!size" wins
send_hour = 1                           # UTC hour the previous day's reports go out

[srs]
# Sender Rewriting Scheme (postsrsd): mail forwarded off-site by an alias or a Sieve redirect
# leaves with MAIL FROM SRS0=hash=stamp=origdomain=user@domain, so it passes SPF at the next
# hop; bounces to such an address are checked (hash, 21 days) and returned to the original
# sender, forged ones refused. Unset enabled: on (a secret always exists after the first start).
# enabled = true
# domain = "example.com"                 # unset: myorigin; its MX and SPF must name this server
# secrets = []                           # the first signs, all verify (rotation: new one first)
# secret_file = "/var/lib/postern/srs.secret"   # unset: data_dir/srs.secret, made 0600 at first start

[mta_sts]
# The MTA-STS policy served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461):
# "testing" first, "enforce" once TLS-RPT reports are clean. mx = [] lists the hostname.
mode = "testing"
max_age = 604800

[imap]
# Dovecot disable_plaintext_auth = yes: no login before TLS.
allow_cleartext_auth = false
# The change journal (CONDSTORE/IDLE) keeps this long; a client asking from
# before it gets a full resync of the mailbox instead.
journal_retention = "30d"

[pop3]
allow_cleartext_auth = false

[managesieve]
allow_cleartext_auth = false

[sieve]
# Global Sieve scripts around each user's active one (Pigeonhole sieve_before/sieve_after).
# Unset "before" runs the shipped rule: X-Spam-Flag: YES is filed into the \\Junk mailbox.
# before = "/etc/postern/sieve/before.sieve"
# after = "/etc/postern/sieve/after.sieve"
# ManageSieve quota per user.
max_scripts = 20
max_script_size = "64K"
# Redirects one script run may make, and per user per day.
max_redirects = 4
redirects_per_day = 100

[auth]
# Dovecot's auth cache: verified (and failed) passwords are remembered this long,
# keyed by a salted hash; a password change misses every earlier entry. "0s": off.
cache_ttl = "1h"
cache_negative_ttl = "1h"
# A failed login is answered after this delay (Dovecot's auth_failure_delay).
failure_delay = "1s"
# A login for an account under attack (limits.auth_account_failures_before_throttle)
# waits this long before its password is checked: slowed, never locked out.
account_throttle_delay = "5s"

[limits]
# IMAP and POP3 connections from one address before they log in; after login,
# Dovecot's mail_max_userip_connections per user and address.
max_connections_per_ip = 20
mail_max_userip_connections = 10
# SMTP sessions per client address (mynetworks is exempt), as Postfix's
# smtpd_client_connection_count_limit; and open connections per service.
smtpd_client_connection_count_limit = 50
max_connections_per_service = 1000
# Failed logins per client address before a ban (logged so that fail2ban and
# crowdsec can act on it too).
auth_failures_before_ban = 10
ban_seconds = 600
# Failed logins for one account from any addresses (within ban_seconds) before
# its logins are slowed by auth.account_throttle_delay.
auth_account_failures_before_throttle = 20
# Processes of \`postern mailstore\` (Dovecot's process_limit): with more than one,
# a primary forks that many workers sharing the LMTP, IMAP, POP3 and ManageSieve
# listeners, so that the mailstore uses every core; "auto" (the default) is one
# per core, 1 is one process. The connection limits above hold for the whole
# mailstore. Needs a restart.
mailstore_processes = "auto"
`;
  try {
    parseConfigText(text, 'postern.toml');
  } catch (err) {
    // The file does not exist yet: name only the key that the option fills.
    if (err instanceof ConfigError) throw new ConfigError(err.problems.map((problem) => problem.replace(/^postern\.toml: /, '')));
    throw err;
  }
  return text;
}
