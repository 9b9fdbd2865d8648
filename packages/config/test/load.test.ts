import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError, loadConfig, resolveConfigPath, storeOptions } from '../src/index.js';
import { tempDir, writeConfig } from './helpers.js';

/** Loads `text` from a real file and returns the ConfigError it must raise. */
function loadError(text: string): { file: string; error: ConfigError } {
  const file = writeConfig(text);
  try {
    loadConfig(file);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/, 'the message is one line');
    return { file, error };
  }
  assert.fail(`loading ${JSON.stringify(text)} should have failed`);
}

test('fills every default from SPEC §3 and the guides when only hostname is set', () => {
  const config = loadConfig(writeConfig('hostname = "mail.example.com"\n'));
  assert.deepEqual(config, {
    hostname: 'mail.example.com',
    data_dir: '/var/lib/postern',
    mydestination: ['$myhostname', 'localhost'],
    store: { backend: 'sqlite' },
    listen: {
      smtp: ['0.0.0.0:25'],
      submission: ['0.0.0.0:587'],
      submissions: ['0.0.0.0:465'],
      lmtp: ['127.0.0.1:24'],
      imap: ['0.0.0.0:143'],
      imaps: ['0.0.0.0:993'],
      pop3: ['0.0.0.0:110'],
      pop3s: ['0.0.0.0:995'],
      managesieve: ['0.0.0.0:4190'],
      http: ['0.0.0.0:80'],
      https: ['0.0.0.0:443'],
      metrics: ['127.0.0.1:9154'],
      mta_metrics: ['127.0.0.1:9155'],
    },
    tls: { min_version: 'TLSv1.2', sni: {} },
    dns: { servers: [], timeout_ms: 5000, dnssec_trusted: [] },
    smtpd: {
      banner: '$myhostname ESMTP',
      helo_required: true,
      disable_vrfy_command: true,
      strict_rfc821_envelopes: true,
      delay_reject: true,
      mynetworks: ['127.0.0.0/8', '[::1]/128'],
      message_size_limit: 52428800,
      recipient_limit: 100,
      message_concurrency_limit: 20,
      in_flight_bytes_limit: 157286400,
      in_flight_wait_time: 60000,
      hopcount_limit: 50,
      mime_nesting_limit: 100,
      mime_part_limit: 10000,
      header_size_limit: 102400,
      header_line_limit: 10000,
      tls_security_level: 'may',
      tls_auth_only: true,
      recipient_delimiter: '+',
      reject_code: 554,
      unknown_address_reject_code: 450,
      unknown_client_reject_code: 450,
      unknown_hostname_reject_code: 450,
      unknown_local_recipient_reject_code: 550,
      disabled_mailbox_reject_code: 550,
      non_fqdn_reject_code: 504,
      invalid_hostname_reject_code: 501,
      rbl_reject_code: 554,
      access_map_reject_code: 554,
      relay_domains_reject_code: 554,
      forbid_bare_newline: 'normalize',
      hard_error_limit: 20,
      timeout_seconds: 300,
      strip_submission_received: false,
      policy_service_timeout: 100_000,
      policy_service_max_idle: 300_000,
      policy_service_max_ttl: 1_000_000,
      policy_service_default_action: '451 4.3.5 Server configuration problem',
      client_restrictions: [],
      helo_restrictions: [],
      sender_restrictions: [],
      relay_restrictions: ['permit_mynetworks', 'permit_sasl_authenticated', 'reject_unauth_destination'],
      recipient_restrictions: [],
      data_restrictions: [],
      end_of_data_restrictions: [],
    },
    smtp: { tls_security_level: 'may', transport_maps: {}, port: 25, connect_timeout: 30_000, timeout: 300_000, destination_concurrency_limit: 20, process_limit: 100, connection_cache_on_demand: true, connection_cache_time_limit: 2000, connection_reuse_time_limit: 300_000, connection_reuse_count_limit: 0, mta_sts: true, mta_sts_port: 443 },
    queue: {
      maximal_queue_lifetime: 5 * 86_400_000,
      bounce_queue_lifetime: 5 * 86_400_000,
      delay_warning_time: 4 * 3_600_000,
      minimal_backoff_time: 300_000,
      maximal_backoff_time: 4 * 3_600_000,
      queue_run_delay: 5_000,
      lease_time: 600_000,
    },
    dkim: { signing_table: {}, rotation_grace: 7 * 86_400_000, publish_delay: 48 * 3_600_000 },
    inbound: { authenticate: true, dmarc_reject: true, dmarc_quarantine: true },
    content_filter: { scanner: 'none', timeout: 30_000, max_size: 2 * 1024 * 1024 },
    mta_sts: { mode: 'testing', max_age: 604_800, mx: [] },
    tlsrpt: { enabled: false },
    dmarc_reports: { enabled: false, max_report_size: 10 * 1024 * 1024, send_hour: 1 },
    srs: { secrets: [] },
    imap: { allow_cleartext_auth: false, journal_retention: 30 * 86_400_000 },
    pop3: { allow_cleartext_auth: false },
    managesieve: { allow_cleartext_auth: false },
    sieve: { max_scripts: 20, max_script_size: 65536, max_redirects: 4, redirects_per_day: 100 },
    auth: { cache_ttl: 3_600_000, cache_negative_ttl: 3_600_000, failure_delay: 1_000, account_throttle_delay: 5_000 },
    limits: {
      max_connections_per_ip: 20,
      mail_max_userip_connections: 10,
      smtpd_client_connection_count_limit: 50,
      max_connections_per_service: 1000,
      auth_failures_before_ban: 10,
      ban_seconds: 600,
      auth_account_failures_before_throttle: 20,
      mailstore_processes: 'auto',
    },
  });
});

test('loads the SPEC §3 example file as written', () => {
  const config = loadConfig(
    writeConfig(`hostname = "mail.example.com"
data_dir = "/var/lib/postern"

[store]
backend = "sqlite"            # or "mongodb"
url = "mongodb://127.0.0.1:27017/postern"   # for mongodb

[listen]
smtp = ["0.0.0.0:25"]
submission = ["0.0.0.0:587"]
submissions = ["0.0.0.0:465"]
lmtp = ["127.0.0.1:24"]
imap = ["0.0.0.0:143"]
imaps = ["0.0.0.0:993"]
pop3 = ["0.0.0.0:110"]
pop3s = ["0.0.0.0:995"]
http = ["0.0.0.0:80"]

[tls]
cert = "/etc/letsencrypt/live/mail.example.com/fullchain.pem"
key = "/etc/letsencrypt/live/mail.example.com/privkey.pem"

[dns]
servers = []                  # empty: the system resolver
timeout_ms = 5000
`),
  );
  assert.equal(config.tls.cert, '/etc/letsencrypt/live/mail.example.com/fullchain.pem');
  assert.equal(config.store.url, 'mongodb://127.0.0.1:27017/postern');
  assert.deepEqual(storeOptions(config), { backend: 'sqlite', path: '/var/lib/postern/postern.sqlite' });
});

test('accepts sizes, IPv6 and unix listeners, CIDRs, DNS servers with ports and a relay host', () => {
  const config = loadConfig(
    writeConfig(`hostname = "mx1.example.org"
[listen]
smtp = ["0.0.0.0:25", "[::]:25"]
lmtp = ["unix:/run/postern/lmtp.sock", "[::1]:24"]
http = []
[dns]
servers = ["127.0.0.53", "192.0.2.1:5353", "::1", "[2001:db8::53]:53"]
[smtpd]
message_size_limit = "10MB"
mynetworks = ["10.0.0.0/8", "192.168.1.7", "[2001:db8::]/32", "fd00::/8"]
tls_security_level = "encrypt"
reject_code = 450
[smtp]
relayhost = "[smtp.example.net]:587"
bind_address = "2001:db8::25"
tls_security_level = "verify"
tls_CAfile = "/etc/postern/relay-ca.pem"
relayhost_tls_security_level = "encrypt"
`),
  );
  assert.equal(config.smtp.tls_security_level, 'verify');
  assert.equal(config.smtp.tls_CAfile, '/etc/postern/relay-ca.pem');
  assert.equal(config.smtp.relayhost_tls_security_level, 'encrypt');
  assert.deepEqual(config.listen.smtp, ['0.0.0.0:25', '[::]:25']);
  assert.deepEqual(config.listen.lmtp, ['unix:/run/postern/lmtp.sock', '[::1]:24']);
  assert.deepEqual(config.listen.http, []);
  assert.equal(config.smtpd.message_size_limit, 10 * 1024 * 1024);
  assert.equal(config.smtpd.tls_security_level, 'encrypt');
  assert.equal(config.smtp.relayhost, '[smtp.example.net]:587');
});

test('resolves a relative data_dir, tls paths and unix socket against the config file directory', () => {
  const file = writeConfig(`hostname = "mail.example.com"
data_dir = "data"
[tls]
cert = "tls/fullchain.pem"
key = "/abs/privkey.pem"
[listen]
lmtp = ["unix:run/lmtp.sock"]
`);
  const dir = join(file, '..');
  const config = loadConfig(file);
  assert.equal(config.data_dir, join(dir, 'data'));
  assert.equal(config.tls.cert, join(dir, 'tls/fullchain.pem'));
  assert.equal(config.tls.key, '/abs/privkey.pem');
  assert.deepEqual(config.listen.lmtp, [`unix:${join(dir, 'run/lmtp.sock')}`]);
  assert.deepEqual(storeOptions(config), { backend: 'sqlite', path: join(dir, 'data', 'postern.sqlite') });
});

test('reads [tls.sni] pairs per host name, their relative paths next to the config file', () => {
  const file = writeConfig(`hostname = "mail.example.com"
[tls]
cert = "/etc/letsencrypt/live/mail.example.com/fullchain.pem"
key = "/etc/letsencrypt/live/mail.example.com/privkey.pem"
[tls.sni."mail.example.org"]
cert = "org/fullchain.pem"
key = "/etc/letsencrypt/live/mail.example.org/privkey.pem"
`);
  const config = loadConfig(file);
  assert.deepEqual(config.tls.sni, { 'mail.example.org': { cert: join(file, '..', 'org/fullchain.pem'), key: '/etc/letsencrypt/live/mail.example.org/privkey.pem' } });
  assert.deepEqual(loadConfig(writeConfig('hostname = "mail.example.com"\n')).tls.sni, {});
});

test('refuses [tls.sni] without the default pair, and a name that is not a host name', () => {
  assert.match(loadError('hostname = "mail.example.com"\n[tls.sni."mail.example.org"]\ncert = "/a"\nkey = "/b"\n').error.message, /tls\.cert.*tls\.sni needs the default pair/);
  assert.match(
    loadError('hostname = "mail.example.com"\n[tls]\ncert = "/a"\nkey = "/b"\n[tls.sni."not a name"]\ncert = "/a"\nkey = "/b"\n').error.message,
    /tls\.sni\.not a name: "not a name" is not a host name \(expected e\.g\. mail\.example\.org/,
  );
});

test('gives mongodb store options with the url', () => {
  const config = loadConfig(writeConfig('hostname = "mail.example.com"\n[store]\nbackend = "mongodb"\nurl = "mongodb://127.0.0.1:27017/postern"\n'));
  assert.deepEqual(storeOptions(config), { backend: 'mongodb', url: 'mongodb://127.0.0.1:27017/postern' });
});

test('names the key, the value and what is expected for a bad listen port', () => {
  const { file, error } = loadError('hostname = "mail.example.com"\n[listen]\nsmtp = ["0.0.0.0:99999"]\n');
  assert.equal(error.message, `${file}: listen.smtp[0]: "0.0.0.0:99999" is not a valid listen address (expected host:port or [v6]:port with port 1-65535)`);
});

test('calls a misspelt key unknown and suggests the real one', () => {
  const { file, error } = loadError('hostname = "mail.example.com"\n[smtpd]\nhelo_requried = true\n');
  assert.equal(error.message, `${file}: smtpd.helo_requried: unknown key (did you mean smtpd.helo_required?)`);
});

test('calls an unknown table unknown', () => {
  const { file, error } = loadError('hostname = "mail.example.com"\n[postfix]\nmyhostname = "x"\n');
  assert.equal(error.message, `${file}: postfix: unknown key`);
});

test('says hostname is missing and what it should be', () => {
  const { file, error } = loadError('data_dir = "/srv/mail"\n');
  assert.equal(error.message, `${file}: hostname: missing (expected the server's fully qualified name, e.g. mail.example.com)`);
});

test('refuses a hostname that is not fully qualified', () => {
  const { file, error } = loadError('hostname = "localhost"\n');
  assert.equal(error.message, `${file}: hostname: "localhost" is not a fully qualified name (expected the server's fully qualified name, e.g. mail.example.com)`);
});

test('names the file, line and parser message for a TOML syntax error', () => {
  const { file, error } = loadError('hostname = "mail.example.com"\n[smtpd]\nhelo_required = yes\n');
  assert.equal(error.message, `${file}:3:17: not valid TOML: Invalid float "yes"`);
});

test('says how to create a config file that does not exist', () => {
  const file = join(tempDir(), 'postern.toml');
  assert.throws(() => loadConfig(file), (error: Error) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message, `config file ${file} not found (create one with: postern init --dir DIR --hostname HOST --domain DOMAIN)`);
    return true;
  });
});

test('each kind of bad value names its key in one line', () => {
  const cases: Array<[string, string]> = [
    ['[store]\nbackend = "postgres"', 'store.backend: "postgres" is not a valid choice (expected one of "sqlite", "mongodb")'],
    ['[store]\nbackend = "mongodb"', 'store.url: missing (expected a MongoDB connection string'],
    ['[store]\nurl = "http://x"', 'store.url: "http://x" is not a MongoDB connection string'],
    ['[mta_sts]\nmode = "strict"', 'mta_sts.mode: "strict" is not a valid choice (expected one of "enforce", "testing", "none")'],
    ['[mta_sts]\nmax_age = 0', 'mta_sts.max_age: 0 is not a max_age'],
    ['[mta_sts]\nmx = ["*.*.bad"]', 'mta_sts.mx[0]: "*.*.bad" is not an MX pattern'],
    ['[listen]\nsmtp = "0.0.0.0:25"', 'listen.smtp: "0.0.0.0:25" is not a list (expected a list such as ["0.0.0.0:25"], or [] to turn the listener off)'],
    ['[listen]\nimap = ["unix:/run/imap.sock"]', 'listen.imap[0]: "unix:/run/imap.sock" is not a valid listen address'],
    ['[listen]\nsubmission = ["0.0.0.0:0"]', 'listen.submission[0]: "0.0.0.0:0" is not a valid listen address'],
    ['[listen]\nsmtps = ["0.0.0.0:465"]', 'listen.smtps: unknown key (did you mean listen.smtp?)'],
    ['[tls]\ncert = "/etc/ssl/fullchain.pem"', 'tls.key: missing (expected the private key that goes with tls.cert'],
    ['[tls]\nmin_version = "TLSv1.1"', 'tls.min_version: "TLSv1.1" is not a valid choice (expected one of "TLSv1.2", "TLSv1.3")'],
    ['[dns]\nservers = ["dns.example"]', 'dns.servers[0]: "dns.example" is not a DNS server'],
    ['[dns]\ntimeout_ms = "5s"', 'dns.timeout_ms: "5s" is not a timeout (expected a whole number from 1 to 60000)'],
    ['smtpd = 5', 'smtpd: 5 is not a table (expected a [smtpd] section)'],
    ['[smtpd]\nhelo_required = "yes"', 'smtpd.helo_required: "yes" is not a boolean (expected true or false)'],
    ['[smtpd]\nmynetworks = ["10.0.0.0/33"]', 'smtpd.mynetworks[0]: "10.0.0.0/33" is not a network'],
    ['[smtpd]\nmessage_size_limit = "50Q"', 'smtpd.message_size_limit: "50Q" is not a size (expected bytes, or a number with a K, M, G or T suffix'],
    ['[smtpd]\nmessage_size_limit = 0', 'smtpd.message_size_limit: 0 is not a size (expected a size above zero'],
    ['[smtpd]\nrecipient_limit = 0', 'smtpd.recipient_limit: 0 is not a recipient limit (expected a whole number from 1 to 100000)'],
    ['[smtpd]\nreject_code = 250', 'smtpd.reject_code: 250 is not a reject code (expected a whole number from 400 to 599)'],
    ['[smtpd]\nhopcount_limit = 0', 'smtpd.hopcount_limit: 0 is not a hop count (expected a whole number from 1 to 1000)'],
    ['[smtp]\ntls_security_level = "dane-only"', 'smtp.tls_security_level: "dane-only" is not a valid choice (expected one of "none", "may", "encrypt", "dane", "verify", "secure")'],
    ['[smtpd]\ntls_security_level = "maybe"', 'smtpd.tls_security_level: "maybe" is not a valid choice (expected one of "may", "encrypt", "none")'],
    ['[smtpd]\nrelay_restrictions = "permit_mynetworks"', 'smtpd.relay_restrictions: "permit_mynetworks" is not a list'],
    ['[smtpd]\nrecipient_delimiter = "@"', 'smtpd.recipient_delimiter: "@" is not a delimiter'],
    ['[smtp]\nrelayhost = "[smtp.example.net]:70000"', 'smtp.relayhost: "[smtp.example.net]:70000" is not a relay host'],
    ['[smtp]\nbind_address = "eth0"', 'smtp.bind_address: "eth0" is not an IP address'],
    ['[imap]\nallow_cleartext_auth = 1', 'imap.allow_cleartext_auth: 1 is not a boolean (expected true or false)'],
    ['[imap]\njournal_retention = "a month"', 'imap.journal_retention: "a month" is not a retention period'],
    ['[imap]\njournal_retention = 0', 'imap.journal_retention: 0 is not a retention period (expected a time above zero'],
    ['[pop3]\njournal_retention = "30d"', 'pop3.journal_retention'],
    ['[limits]\nban_seconds = -1', 'limits.ban_seconds: -1 is not a ban duration'],
    ['[limits]\nmax_connections_per_ip = 2.5', 'limits.max_connections_per_ip: 2.5 is not a connection limit'],
    ['[limits]\nmail_max_userip_connections = 0', 'limits.mail_max_userip_connections: 0 is not a connection limit'],
    ['[limits]\nsmtpd_client_connection_count_limit = "many"', 'limits.smtpd_client_connection_count_limit: "many" is not a connection limit'],
    ['[limits]\nmax_connections_per_service = -5', 'limits.max_connections_per_service: -5 is not a connection limit'],
    ['[auth]\ncache_ttl = "forever"', 'auth.cache_ttl: "forever" is not a cache lifetime'],
    ['[auth]\ncache_negative_ttl = -1', 'auth.cache_negative_ttl: -1 is not a cache lifetime'],
    ['[auth]\nfailure_delay = "2 parsecs"', 'auth.failure_delay: "2 parsecs" is not a delay'],
    ['[auth]\ncache_size = 10', 'auth.cache_size'],
  ];
  for (const [section, expected] of cases) {
    const { file, error } = loadError(`hostname = "mail.example.com"\n${section}\n`);
    assert.ok(error.message.startsWith(`${file}: ${expected}`), `for ${JSON.stringify(section)}:\n  got      ${error.message}\n  expected ${file}: ${expected}…`);
    assert.equal(error.problems.length, 1, `one problem for ${JSON.stringify(section)}: ${error.problems.join(' | ')}`);
  }
});

test('reports the first of several problems in one line and keeps the rest for config check', () => {
  const { file, error } = loadError('hostname = "mail.example.com"\n[smtpd]\nhelo_required = "yes"\nreject_code = 250\n');
  assert.equal(error.message, `${file}: smtpd.helo_required: "yes" is not a boolean (expected true or false) (and 1 more problem)`);
  assert.deepEqual(error.problems, [
    `${file}: smtpd.helo_required: "yes" is not a boolean (expected true or false)`,
    `${file}: smtpd.reject_code: 250 is not a reject code (expected a whole number from 400 to 599)`,
  ]);
});

test('finds the config file from -c, then $POSTERN_CONFIG, then /etc/postern/postern.toml', () => {
  const saved = process.env['POSTERN_CONFIG'];
  try {
    delete process.env['POSTERN_CONFIG'];
    assert.equal(resolveConfigPath(), '/etc/postern/postern.toml');
    process.env['POSTERN_CONFIG'] = '/srv/postern/env.toml';
    assert.equal(resolveConfigPath(), '/srv/postern/env.toml');
    assert.equal(resolveConfigPath('/srv/postern/cli.toml'), '/srv/postern/cli.toml');
    assert.equal(resolveConfigPath('relative.toml'), join(process.cwd(), 'relative.toml'));
  } finally {
    if (saved === undefined) delete process.env['POSTERN_CONFIG'];
    else process.env['POSTERN_CONFIG'] = saved;
  }
});

test('[auth] takes "0s" to turn the auth cache and the failure delay off, and keeps the connection limits as given', () => {
  const config = loadConfig(
    writeConfig(
      'hostname = "mail.example.com"\n[auth]\ncache_ttl = "0s"\ncache_negative_ttl = 0\nfailure_delay = "2s"\n[limits]\nmail_max_userip_connections = 3\nsmtpd_client_connection_count_limit = 7\nmax_connections_per_service = 99\n',
    ),
  );
  assert.deepEqual(config.auth, { cache_ttl: 0, cache_negative_ttl: 0, failure_delay: 2000, account_throttle_delay: 5000 });
  assert.equal(config.limits.mail_max_userip_connections, 3);
  assert.equal(config.limits.smtpd_client_connection_count_limit, 7);
  assert.equal(config.limits.max_connections_per_service, 99);
  assert.equal(config.limits.max_connections_per_ip, 20, 'the pre-login limit keeps its old key and default');
});

test('[imap] journal_retention takes a duration: "7d" is seven days in milliseconds', () => {
  const config = loadConfig(writeConfig('hostname = "mail.example.com"\n[imap]\njournal_retention = "7d"\n'));
  assert.equal(config.imap.journal_retention, 7 * 86_400_000);
  assert.equal(config.pop3.allow_cleartext_auth, false);
});
