import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError, loadConfig, renderInitialConfig, setConfigValue } from '../src/index.js';
import { tempDir, writeConfig } from './helpers.js';

test('the rendered initial config loads back to the values it was given and the defaults', () => {
  const dir = tempDir();
  const file = join(dir, 'postern.toml');
  writeFileSync(
    file,
    renderInitialConfig({
      hostname: 'mail.example.com',
      dataDir: join(dir, 'data'),
      certPath: join(dir, 'tls', 'fullchain.pem'),
      keyPath: join(dir, 'tls', 'privkey.pem'),
      listen: { smtp: ['127.0.0.1:2525'], lmtp: [`unix:${join(dir, 'lmtp.sock')}`], http: [] },
    }),
  );
  const config = loadConfig(file);
  const defaults = loadConfig(writeConfig('hostname = "mail.example.com"\n'));
  assert.deepEqual(config, {
    ...defaults,
    data_dir: join(dir, 'data'),
    tls: { cert: join(dir, 'tls', 'fullchain.pem'), key: join(dir, 'tls', 'privkey.pem'), min_version: 'TLSv1.2', sni: {} },
    listen: { ...defaults.listen, smtp: ['127.0.0.1:2525'], lmtp: [`unix:${join(dir, 'lmtp.sock')}`], http: [] },
  });
});

test('the rendered config explains its sections with the Postfix names they replace', () => {
  const text = renderInitialConfig({ hostname: 'mail.example.com', dataDir: '/var/lib/postern', certPath: '/c.pem', keyPath: '/k.pem' });
  for (const name of ['myhostname', 'inet_interfaces', 'smtpd_tls_cert_file', 'smtpd_banner', 'smtpd_helo_required', 'mynetworks', 'message_size_limit', 'smtpd_relay_restrictions', 'relayhost', 'smtp_tls_security_level', 'recipient_delimiter']) {
    assert.ok(text.includes(name), `mentions ${name}`);
  }
  for (const section of ['[store]', '[listen]', '[tls]', '[dns]', '[smtpd]', '[smtp]', '[imap]', '[pop3]', '[limits]']) {
    assert.ok(text.includes(`\n${section}\n`), `has ${section}`);
  }
});

test('without a certificate the tls keys are left commented out and the file still loads', () => {
  const file = writeConfig(renderInitialConfig({ hostname: 'mx.example.org', dataDir: 'data' }));
  const config = loadConfig(file);
  assert.equal(config.tls.cert, undefined);
  assert.equal(config.data_dir, join(file, '..', 'data'));
});

test('a rendered config keeps its comments through config set', () => {
  const file = writeConfig(renderInitialConfig({ hostname: 'mail.example.com', dataDir: '/var/lib/postern', certPath: '/c.pem', keyPath: '/k.pem' }));
  const before = readFileSync(file, 'utf8');
  setConfigValue(file, 'smtpd.mynetworks', '["127.0.0.0/8", "192.168.0.0/16"]');
  const after = readFileSync(file, 'utf8');
  assert.equal(after, before.replace('mynetworks = ["127.0.0.0/8", "[::1]/128"]', 'mynetworks = ["127.0.0.0/8", "192.168.0.0/16"]'));
  const config = loadConfig(file);
  assert.deepEqual(config.smtpd.mynetworks, ['127.0.0.0/8', '192.168.0.0/16']);
});

test('refuses to render a hostname that is not fully qualified, naming the key', () => {
  assert.throws(
    () => renderInitialConfig({ hostname: 'mail', dataDir: '/var/lib/postern' }),
    (error: Error) => error instanceof ConfigError && error.message === 'hostname: "mail" is not a fully qualified name (expected the server\'s fully qualified name, e.g. mail.example.com)',
  );
  assert.throws(() => renderInitialConfig({ hostname: 'mail.example.com"\nsmtpd = 1 #', dataDir: '/x' }), ConfigError);
});
