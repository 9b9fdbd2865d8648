import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { freePort } from '../../../test/support/ports.js';
import { deliver } from '../src/delivery/index.js';
import { selfSignedCertificate } from './support/certificate.js';
import { testConfig, testContext, testRequest } from './support/delivery-context.js';
import { startRemoteSmtp, type RemoteOptions, type RemoteSmtp } from '../../../test/support/remote-smtp.js';
import { mxZone } from './support/mx-zone.js';

// This file's servers live on 127.0.0.60-79.

// The relay hosts here have self-signed certificates: their level is lowered explicitly (delivery-tls-verify tests the default).
const SELF_SIGNED_RELAY = 'relayhost_tls_security_level = "encrypt"';
const HOSTS: Record<string, string> = {
  'tls.test': '127.0.0.60',
  'notls.test': '127.0.0.61',
  'badtls.test': '127.0.0.62',
  'relay.test': '127.0.0.63',
  'wrapper.test': '127.0.0.64',
  'second.test': '127.0.0.65',
  'cleartext.test': '127.0.0.66',
  'login.test': '127.0.0.67',
};

describe('delivery: STARTTLS, implicit TLS and relay host AUTH', () => {
  let dns: DnsTestServer;
  let port: number;
  let tls: { key: string; cert: string };
  let dir: string;
  const remotes: RemoteSmtp[] = [];
  const remote = async (domain: string, options: Omit<RemoteOptions, 'host' | 'port'> = {}, onPort = port) => {
    const server = await startRemoteSmtp({ host: HOSTS[domain]!, port: onPort, ...options, server: { ...tls, ...options.server } });
    remotes.push(server);
    return server;
  };
  const config = (extra = '') => testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "3s"\ntimeout = "10s"\n${extra}`);

  before(async () => {
    port = await freePort();
    tls = await selfSignedCertificate('mx.test.example');
    dir = await mkdtemp(join(tmpdir(), 'postern-delivery-tls-'));
    const zone = mxZone(HOSTS);
    zone['notls.test'] = { MX: [{ exchange: 'mx.notls.test', priority: 10 }, { exchange: 'mx.second.test', priority: 20 }] };
    dns = await startDnsServer(zone);
  });
  after(async () => {
    await Promise.all(remotes.map((server) => server.stop()));
    await dns.stop();
  });

  test('uses STARTTLS when offered under "may" (RFC 3207)', async () => {
    const server = await remote('tls.test');
    const { ctx } = testContext({ config: config('tls_security_level = "may"'), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['a@tls.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(server.messages.at(-1)?.secure, true);
    // After STARTTLS the client says EHLO again (RFC 3207 §4.2) and the rest is encrypted.
    const raw = server.connections.at(-1)?.chunks.join('') ?? '';
    assert.match(raw, /^EHLO mail\.test\.example\r\nSTARTTLS\r\n/);
    assert.doesNotMatch(raw, /MAIL FROM/);
  });

  test('delivers in plaintext under "may" when the server offers no STARTTLS', async () => {
    const server = await remote('notls.test', { server: { hideSTARTTLS: true } });
    const { ctx } = testContext({ config: config('tls_security_level = "may"'), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['a@notls.test']));
    assert.equal(outcome?.relay, `mx.notls.test[127.0.0.61]:${port}`);
    assert.equal(server.messages.at(-1)?.secure, false);
  });

  test('under "encrypt", skips a server without STARTTLS for the next MX', async () => {
    const second = await remote('second.test');
    const { ctx } = testContext({ config: config('tls_security_level = "encrypt"'), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['b@notls.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(outcome?.relay, `mx.second.test[127.0.0.65]:${port}`);
    assert.equal(second.messages.at(-1)?.secure, true);
  });

  test('under "encrypt", defers with 4.7.4 when no server offers STARTTLS', async () => {
    const { ctx } = testContext({ config: config(`tls_security_level = "encrypt"\n[smtp.transport_maps]\n"notls.test" = "[127.0.0.61]"`), dns: dns.address });
    const server = remotes.find((s) => s.host === HOSTS['notls.test'])!;
    const before = server.messages.length;
    const [outcome] = await deliver(ctx, testRequest(['c@notls.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.7.4');
    assert.equal(outcome?.response, `4.7.4 TLS is required, but was not offered by host 127.0.0.61[127.0.0.61]:${port}`);
    assert.equal(server.messages.length, before);
  });

  test('under "may", retries a host in plaintext once when the STARTTLS handshake fails', async () => {
    // The server only speaks TLS 1.0, which our client refuses: the handshake fails.
    const server = await remote('badtls.test', { server: { maxVersion: 'TLSv1', minVersion: 'TLSv1' } });
    const { ctx, logs } = testContext({ config: config('tls_security_level = "may"'), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['a@badtls.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(server.messages.at(-1)?.secure, false);
    assert.equal(server.connections.length, 2);
    assert.ok(logs().some((line) => line['event'] === 'tls_fallback'));
  });

  test('never tries STARTTLS under "none"', async () => {
    const server = remotes.find((s) => s.host === HOSTS['tls.test'])!;
    const { ctx } = testContext({ config: config('tls_security_level = "none"'), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['b@tls.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(server.messages.at(-1)?.secure, false);
  });

  test('logs in to a relay host after STARTTLS on a submission-style port with the configured password (AUTH PLAIN)', async () => {
    const relayPort = port + 1;
    const server = await remote('relay.test', { logins: { apikey: 's3cret' }, server: { authMethods: ['PLAIN', 'LOGIN'] } }, relayPort);
    const cfg = config(`relayhost = "[127.0.0.63]:${relayPort}"\nrelayhost_username = "apikey"\nrelayhost_password = "s3cret"\n${SELF_SIGNED_RELAY}`);
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['someone@far-away.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(outcome?.relay, `127.0.0.63[127.0.0.63]:${relayPort}`);
    const received = server.messages.at(-1)!;
    assert.equal(received.secure, true);
    assert.equal(received.user, 'apikey');
    assert.deepEqual(server.logins.at(-1), { username: 'apikey', password: 's3cret', accepted: true });
  });

  test('logs in with AUTH LOGIN when the relay host offers only that', async () => {
    const loginPort = port + 1;
    const server = await remote('login.test', { logins: { user: 'pw' }, server: { authMethods: ['LOGIN'] } }, loginPort);
    const cfg = config(`relayhost = "[127.0.0.67]:${loginPort}"\nrelayhost_username = "user"\nrelayhost_password = "pw"\n${SELF_SIGNED_RELAY}`);
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['x@far-away.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(server.messages.at(-1)?.user, 'user');
  });

  test('logs in to a relay host on port 465 with implicit TLS, the password read from a file (RFC 8314)', async (t) => {
    let server: RemoteSmtp;
    try {
      server = await remote('wrapper.test', { logins: { relayuser: 'from-file' }, server: { secure: true, authMethods: ['PLAIN'] } }, 465);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') return t.skip('binding port 465 needs root or CAP_NET_BIND_SERVICE');
      throw error;
    }
    const file = join(dir, 'relay-password');
    await writeFile(file, 'from-file\nsecond line is ignored\n');
    const cfg = config(`relayhost = "[127.0.0.64]:465"\nrelayhost_username = "relayuser"\nrelayhost_password_file = "${file}"\n${SELF_SIGNED_RELAY}`);
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['y@far-away.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(outcome?.relay, '127.0.0.64[127.0.0.64]:465');
    assert.equal(server.messages.at(-1)?.secure, true);
    assert.equal(server.messages.at(-1)?.user, 'relayuser');
    // The file is read at each delivery: a new password is used at once.
    await writeFile(file, 'changed\n');
    const [second] = await deliver(ctx, testRequest(['z@far-away.test']));
    assert.equal(second?.status, 'deferred');
    assert.deepEqual(server.logins.at(-1), { username: 'relayuser', password: 'changed', accepted: false });
  });

  test('defers with the server\'s reply when the relay host refuses the password', async () => {
    const server = remotes.find((s) => s.host === HOSTS['relay.test'])!;
    const cfg = config(`relayhost = "[127.0.0.63]:${port + 1}"\nrelayhost_username = "apikey"\nrelayhost_password = "wrong"\n${SELF_SIGNED_RELAY}`);
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const before = server.messages.length;
    const [outcome] = await deliver(ctx, testRequest(['w@far-away.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.response, '535 5.7.8 Error: authentication failed');
    assert.equal(outcome?.dsn, '4.7.8');
    assert.equal(outcome?.remote, true);
    assert.equal(server.messages.length, before);
  });

  test('does not send credentials in cleartext: defers with 4.7.0', async () => {
    const clearPort = port + 2;
    const server = await remote('cleartext.test', { logins: { apikey: 's3cret' }, server: { hideSTARTTLS: true, allowInsecureAuth: true } }, clearPort);
    // Lowered to "may" so that the cleartext rule itself is what refuses (at the default the level would be "verify").
    const cfg = config(`relayhost = "[127.0.0.66]:${clearPort}"\nrelayhost_username = "apikey"\nrelayhost_password = "s3cret"\nrelayhost_tls_security_level = "may"`);
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['v@far-away.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.7.0');
    assert.match(outcome?.response ?? '', /^4\.7\.0 not sending credentials in cleartext/);
    assert.equal(server.logins.length, 0);
    assert.equal(server.messages.length, 0);
  });

  test('defers with 4.3.5 when the relay password file cannot be read', async () => {
    const cfg = config(`relayhost = "[127.0.0.63]:${port + 1}"\nrelayhost_username = "apikey"\nrelayhost_password_file = "${join(dir, 'missing')}"`);
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['u@far-away.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.3.5');
    assert.match(outcome?.response ?? '', /cannot read smtp\.relayhost_password_file/);
  });
});
