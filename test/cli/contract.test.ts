// The CLI contract of SPEC §3 that holds whatever the store: init, config,
// pw, exit codes (0 ok, 1 error with one line, 2 usage).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '@postern/auth';
import { postern, posternWith } from '../support/cli.js';

function assertOneLineError(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, `expected exit 1, got ${result.code}: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', pattern);
}

describe('postern init', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'postern-init-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a config, a data dir and a self-signed certificate for the hostname, and prints the DNS records', async () => {
    const result = await postern(['init', '--dir', dir, '--hostname', 'mail.example.net', '--domain', 'example.net']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(join(dir, 'postern.toml')));
    assert.ok(statSync(join(dir, 'data')).isDirectory());
    const cert = new X509Certificate(readFileSync(join(dir, 'tls', 'cert.pem')));
    assert.match(cert.subjectAltName ?? '', /DNS:mail\.example\.net/);
    assert.equal(statSync(join(dir, 'tls', 'key.pem')).mode & 0o077, 0, 'the private key is readable by its owner only');
    assert.match(result.stdout, /example\.net\.\s+IN MX\s+10 mail\.example\.net\./);
    assert.match(result.stdout, /"v=spf1 mx -all"/);
    assert.match(result.stdout, /\d{6}\._domainkey\.example\.net\.\s+IN TXT\s+"v=DKIM1; k=rsa; p=/);
    assert.match(result.stdout, /_dmarc\.example\.net\./);
  });

  it('leaves a config that passes config check and whose store has the domain', async () => {
    const run = posternWith(join(dir, 'postern.toml'));
    const check = await run(['config', 'check']);
    assert.equal(check.code, 0, check.stderr);
    const domains = JSON.parse((await run(['domain', 'list', '--json'])).stdout) as { name: string }[];
    assert.deepEqual(domains.map((d) => d.name), ['example.net']);
  });

  it('refuses to overwrite an existing config without --force', async () => {
    const before = readFileSync(join(dir, 'postern.toml'), 'utf8');
    assertOneLineError(await postern(['init', '--dir', dir, '--hostname', 'mail.example.net', '--domain', 'example.net']), /already exists.*--force/);
    assert.equal(readFileSync(join(dir, 'postern.toml'), 'utf8'), before);
    const forced = await postern(['init', '--dir', dir, '--hostname', 'mx.example.net', '--domain', 'example.net', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
  });

  it('refuses a hostname that is not fully qualified', async () => {
    assertOneLineError(await postern(['init', '--dir', join(dir, 'x'), '--hostname', 'localhost', '--domain', 'example.net']), /--hostname.*fully qualified/);
  });

  it('exits 2 when a required option is missing', async () => {
    const result = await postern(['init', '--dir', dir]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--hostname/);
  });
});

describe('postern config', () => {
  let dir: string;
  let run: ReturnType<typeof posternWith>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'postern-config-'));
    assert.equal((await postern(['init', '--dir', dir, '--hostname', 'mail.example.com', '--domain', 'example.com'])).code, 0);
    run = posternWith(join(dir, 'postern.toml'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gets a value set in the file and a default that is not', async () => {
    assert.equal((await run(['config', 'get', 'hostname'])).stdout.trim(), 'mail.example.com');
    assert.equal((await run(['config', 'get', 'smtpd.helo_required'])).stdout.trim(), 'true');
    assert.equal((await run(['config', 'get', 'smtpd.disable_vrfy_command'])).stdout.trim(), 'true');
  });

  it('sets a TOML value, keeping the comments of the file', async () => {
    const commentsBefore = readFileSync(join(dir, 'postern.toml'), 'utf8').split('\n').filter((l) => l.trim().startsWith('#'));
    const result = await run(['config', 'set', 'listen.smtp', '["127.0.0.1:2525"]']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse((await run(['config', 'get', 'listen.smtp', '--json'])).stdout), ['127.0.0.1:2525']);
    const after = readFileSync(join(dir, 'postern.toml'), 'utf8');
    for (const comment of commentsBefore) assert.ok(after.includes(comment), `comment kept: ${comment}`);
  });

  it('takes a value that is not TOML as a plain string', async () => {
    assert.equal((await run(['config', 'set', 'smtpd.sasl_local_domain', 'example.com'])).code, 0);
    assert.equal((await run(['config', 'get', 'smtpd.sasl_local_domain'])).stdout.trim(), 'example.com');
  });

  it('refuses an invalid value with one line naming the key, and leaves the file alone', async () => {
    const before = readFileSync(join(dir, 'postern.toml'), 'utf8');
    assertOneLineError(await run(['config', 'set', 'listen.smtp', '["0.0.0.0:99999"]']), /listen\.smtp\[0\].*99999/);
    assertOneLineError(await run(['config', 'set', 'smtpd.helo_required', '"maybe"']), /smtpd\.helo_required/);
    assert.equal(readFileSync(join(dir, 'postern.toml'), 'utf8'), before);
  });

  it('names an unknown key', async () => {
    assertOneLineError(await run(['config', 'get', 'smtpd.helo_requried']), /smtpd\.helo_requried/);
  });

  it('check names the key of a broken file', async () => {
    const broken = join(dir, 'broken.toml');
    writeFileSync(broken, readFileSync(join(dir, 'postern.toml'), 'utf8') + '\n[smtpd_typo]\nx = 1\n');
    assertOneLineError(await postern(['-c', broken, 'config', 'check']), /smtpd_typo/);
  });

  /** A copy of the init'd config with `changes` applied through `config set`. */
  async function variant(name: string, changes: [string, string][]): Promise<string> {
    const file = join(dir, name);
    writeFileSync(file, readFileSync(join(dir, 'postern.toml'), 'utf8'));
    for (const [key, value] of changes) {
      const set = await postern(['-c', file, 'config', 'set', key, value]);
      assert.equal(set.code, 0, set.stderr);
    }
    return file;
  }

  it('check refuses an unknown restriction rule with the line start gives (one validator)', async () => {
    const file = await variant('rules.toml', [
      ['smtpd.recipient_restrictions', '["permit_mynetworks", "reject_unknown_foo", "reject_unauth_destination"]'],
      // Nothing may listen on a real port if start got past the check.
      ...['smtp', 'submission', 'submissions', 'lmtp', 'imap', 'imaps', 'pop3', 'pop3s'].map((service): [string, string] => [`listen.${service}`, '[]']),
      ['virtual_transport', 'lmtp:127.0.0.1:9'],
    ]);
    const check = await postern(['-c', file, 'config', 'check']);
    assertOneLineError(check, /smtpd\.recipient_restrictions\[1\]: unknown rule "reject_unknown_foo"/);
    const start = await postern(['-c', file, 'mta']);
    assert.equal(start.code, 1, start.stderr);
    assert.ok(start.stderr.includes(check.stderr.trim()), `start refuses it with the same words:\n${start.stderr}`);
  });

  it('check refuses restriction lists that make an open relay', async () => {
    const file = await variant('relay.toml', [
      ['smtpd.relay_restrictions', '["permit"]'],
      ['smtpd.recipient_restrictions', '[]'],
    ]);
    assertOneLineError(await postern(['-c', file, 'config', 'check']), /open relay/);
  });

  it('check loads the TLS pair as start does: a file that is not a certificate, a key of another certificate', async () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    assertOneLineError(await postern(['-c', await variant('cert.toml', [['tls.cert', JSON.stringify(garbage)]]), 'config', 'check']), /^postern: \[tls\]: .*garbage\.pem/);
    const other = mkdtempSync(join(tmpdir(), 'postern-config-other-'));
    try {
      assert.equal((await postern(['init', '--dir', other, '--hostname', 'mail.example.org', '--domain', 'example.org'])).code, 0);
      const mismatched = await variant('key.toml', [['tls.key', JSON.stringify(join(other, 'tls', 'key.pem'))]]);
      assertOneLineError(await postern(['-c', mismatched, 'config', 'check']), /^postern: \[tls\]: /);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('says where the config was looked for when there is none, from -c and from $POSTERN_CONFIG', async () => {
    assertOneLineError(await postern(['-c', join(dir, 'missing.toml'), 'domain', 'list']), /missing\.toml.*not found/);
    assertOneLineError(await postern(['domain', 'list'], { env: { POSTERN_CONFIG: join(dir, 'env.toml') } }), /env\.toml.*not found/);
  });
});

describe('postern pw and usage errors', () => {
  it('hashes a password from stdin with the default scheme', async () => {
    const result = await postern(['pw'], { input: 'hunter2\n' });
    assert.equal(result.code, 0, result.stderr);
    const hash = result.stdout.trim();
    assert.match(hash, /^\{SCRYPT\}/);
    assert.equal(await verifyPassword('hunter2', hash), true);
  });

  it('hashes with a Dovecot scheme named by --scheme', async () => {
    const result = await postern(['pw', '--scheme', 'SHA512-CRYPT'], { input: 'hunter2\n' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout.trim(), /^\{SHA512-CRYPT\}\$6\$/);
    assert.equal(await verifyPassword('hunter2', result.stdout.trim()), true);
  });

  it('refuses an unknown scheme with one line', async () => {
    assertOneLineError(await postern(['pw', '--scheme', 'ROT13'], { input: 'x\n' }), /--scheme/);
  });

  it('exits 2 for an unknown command or a missing argument', async () => {
    assert.equal((await postern(['frobnicate'])).code, 2);
    assert.equal((await postern(['domain', 'add'])).code, 2);
    assert.equal((await postern(['user', 'add', 'a@b.c', '--password', 'x'])).code, 2, 'no password option on the command line');
  });
});
