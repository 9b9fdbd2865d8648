import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, formatConfigValue, getConfigValue, loadConfig, setConfigValue } from '../src/index.js';
import { tempDir, writeConfig } from './helpers.js';

const COMMENTED = `# Postern on mx1 — managed by hand, keep these notes.
hostname = "mail.example.com" # myhostname

# Listeners
[listen]
# only loopback while testing
smtp = ["127.0.0.1:25"]

[smtpd]
# the guides say yes
helo_required = true
`;

function refusal(file: string, key: string, value: string): ConfigError {
  try {
    setConfigValue(file, key, value);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/);
    return error;
  }
  assert.fail(`set ${key} ${value} should have been refused`);
}

test('get shows defaults from the loaded config, and set values once written', () => {
  const file = writeConfig('hostname = "mail.example.com"\n');
  const config = loadConfig(file);
  assert.deepEqual(getConfigValue(config, 'listen.smtp'), ['0.0.0.0:25']);
  assert.equal(getConfigValue(config, 'smtpd.message_size_limit'), 52428800);
  assert.equal(getConfigValue(config, 'smtpd.helo_required'), true);
  assert.equal(getConfigValue(config, 'hostname'), 'mail.example.com');
  assert.equal(getConfigValue(config, 'tls.cert'), undefined, 'a known optional key that is unset');
  assert.equal((getConfigValue(config, 'limits') as Record<string, unknown>)['ban_seconds'], 600);
});

test('get calls a key that does not exist unknown', () => {
  const config = loadConfig(writeConfig('hostname = "mail.example.com"\n'));
  for (const [key, message] of [
    ['smtpd.helo_requried', 'smtpd.helo_requried: unknown key (did you mean smtpd.helo_required?)'],
    ['postfix', 'postfix: unknown key'],
    ['listen.smtp.port', 'listen.smtp.port: unknown key'],
    ['hostname.x', 'hostname.x: unknown key'],
  ] as const) {
    assert.throws(() => getConfigValue(config, key), (error: Error) => error instanceof ConfigError && error.message === message, key);
  }
  assert.throws(() => getConfigValue(config, 'smtpd..x'), /is not a key \(expected dotted names/);
});

test('formats values for config get: strings bare, the rest as TOML', () => {
  const config = loadConfig(writeConfig('hostname = "mail.example.com"\n'));
  assert.equal(formatConfigValue(getConfigValue(config, 'hostname')), 'mail.example.com');
  assert.equal(formatConfigValue(getConfigValue(config, 'listen.smtp')), '["0.0.0.0:25"]');
  assert.equal(formatConfigValue(getConfigValue(config, 'smtpd.helo_required')), 'true');
  assert.equal(formatConfigValue(getConfigValue(config, 'smtpd.reject_code')), '554');
  assert.equal(formatConfigValue(getConfigValue(config, 'limits')), 'max_connections_per_ip = 20\nmail_max_userip_connections = 10\nsmtpd_client_connection_count_limit = 50\nmax_connections_per_service = 1000\nauth_failures_before_ban = 10\nban_seconds = 600\nauth_account_failures_before_throttle = 20\nmailstore_processes = "auto"');
  assert.equal(formatConfigValue(getConfigValue(config, 'auth.failure_delay')), '1000');
  assert.equal(formatConfigValue(undefined), '');
});

test('set parses VALUE as TOML when it parses, else takes it as a string', () => {
  const file = writeConfig(COMMENTED);
  setConfigValue(file, 'listen.smtp', '["127.0.0.1:2525", "[::1]:2525"]');
  setConfigValue(file, 'smtpd.helo_required', 'false');
  setConfigValue(file, 'smtpd.recipient_limit', '25');
  setConfigValue(file, 'smtpd.banner', '"$myhostname ready"');
  setConfigValue(file, 'smtpd.sasl_local_domain', 'example.com');
  setConfigValue(file, 'smtpd.message_size_limit', '10M');
  const config = loadConfig(file);
  assert.deepEqual(config.listen.smtp, ['127.0.0.1:2525', '[::1]:2525']);
  assert.equal(config.smtpd.helo_required, false);
  assert.equal(config.smtpd.recipient_limit, 25);
  assert.equal(config.smtpd.banner, '$myhostname ready');
  assert.equal(config.smtpd.sasl_local_domain, 'example.com');
  assert.equal(config.smtpd.message_size_limit, 10 * 1024 * 1024);
});

test('set keeps every comment and the layout of the lines it does not change', () => {
  const file = writeConfig(COMMENTED);
  setConfigValue(file, 'smtpd.helo_required', 'false');
  setConfigValue(file, 'listen.smtp', '["127.0.0.1:2525"]');
  assert.equal(
    readFileSync(file, 'utf8'),
    `# Postern on mx1 — managed by hand, keep these notes.
hostname = "mail.example.com" # myhostname

# Listeners
[listen]
# only loopback while testing
smtp = ["127.0.0.1:2525"]

[smtpd]
# the guides say yes
helo_required = false
`,
  );
});

test('set creates a missing table and a missing top-level key', () => {
  const file = writeConfig(COMMENTED);
  setConfigValue(file, 'limits.ban_seconds', '3600');
  setConfigValue(file, 'data_dir', '/srv/postern');
  const text = readFileSync(file, 'utf8');
  assert.match(text, /\[limits\]\nban_seconds = 3600/);
  assert.match(text, /^# Postern on mx1/);
  assert.match(text, /# the guides say yes/);
  const config = loadConfig(file);
  assert.equal(config.limits.ban_seconds, 3600);
  assert.equal(config.data_dir, '/srv/postern');
});

test('set refuses an invalid value, names the key, and leaves the file byte for byte unchanged', () => {
  const file = writeConfig(COMMENTED);
  const cases: Array<[string, string, string]> = [
    ['listen.smtp', '["0.0.0.0:99999"]', `${file}: listen.smtp[0]: "0.0.0.0:99999" is not a valid listen address (expected host:port or [v6]:port with port 1-65535)`],
    ['smtpd.helo_requried', 'true', `${file}: smtpd.helo_requried: unknown key (did you mean smtpd.helo_required?)`],
    ['smtpd.helo_required', 'yes', `${file}: smtpd.helo_required: "yes" is not a boolean (expected true or false)`],
    ['store.backend', 'mongodb', `${file}: store.url: missing (expected a MongoDB connection string such as mongodb://127.0.0.1:27017/postern when store.backend is "mongodb")`],
    ['hostname', 'mail', `${file}: hostname: "mail" is not a fully qualified name (expected the server's fully qualified name, e.g. mail.example.com)`],
    ['hostname.x', '1', `${file}: hostname: holds a value, not a table (so hostname.x cannot be set; set hostname itself)`],
    ['postfix.myhostname', 'x', `${file}: postfix: unknown key`],
  ];
  const before = readFileSync(file);
  const mtime = statSync(file).mtimeMs;
  for (const [key, value, message] of cases) {
    assert.equal(refusal(file, key, value).message, message, `set ${key} ${value}`);
    assert.deepEqual(readFileSync(file), before, `file unchanged after set ${key} ${value}`);
  }
  assert.equal(statSync(file).mtimeMs, mtime);
  assert.deepEqual(readdirSync(dirname(file)), ['postern.toml'], 'no temp file left behind');
});

test('set on a missing file says how to create one', () => {
  const file = join(tempDir(), 'postern.toml');
  assert.throws(() => setConfigValue(file, 'hostname', 'mail.example.com'), /^ConfigError: config file .* not found \(create one with: postern init/);
});

test('set writes atomically, keeps the file mode and writes through a symlink', () => {
  const dir = tempDir();
  const real = join(dir, 'real.toml');
  writeFileSync(real, COMMENTED);
  chmodSync(real, 0o640);
  const link = join(dir, 'postern.toml');
  symlinkSync(real, link);
  setConfigValue(link, 'smtpd.reject_code', '550');
  assert.equal(statSync(real).mode & 0o777, 0o640);
  assert.equal(loadConfig(link).smtpd.reject_code, 550);
  assert.match(readFileSync(real, 'utf8'), /reject_code = 550/);
  assert.deepEqual(readdirSync(dir).sort(), ['postern.toml', 'real.toml']);
});
