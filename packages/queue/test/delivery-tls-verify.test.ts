// Postfix's outbound TLS levels past "encrypt" (smtp.tls_security_level
// "verify" and "secure", smtp.tls_CAfile) and the relay host login, which goes
// only over a verified connection unless the operator lowers that host's
// level (smtp.relayhost_tls_security_level). Servers carry certificates from a
// test CA (root → intermediate → leaf) that the system store does not trust.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { createTestCa, issueLeaf, type TestCa } from '../../../test/support/pki.js';
import { freePort } from '../../../test/support/ports.js';
import { startRemoteSmtp, type RemoteOptions, type RemoteSmtp } from '../../../test/support/remote-smtp.js';
import { deliver, relayTlsWarning } from '../src/delivery/index.js';
import { testConfig, testContext, testRequest } from './support/delivery-context.js';

// This file's servers live on 127.0.0.90-99.
const MX = { verified: '127.0.0.90', hosting: '127.0.0.91', relay: '127.0.0.92', notls: '127.0.0.93', open: '127.0.0.94' };

describe('delivery: TLS levels "verify" and "secure", and the relay host login over verified TLS only', () => {
  let dns: DnsTestServer;
  let port: number;
  let ca: TestCa;
  const remotes: RemoteSmtp[] = [];
  const remote = async (host: string, names: string[], options: Omit<RemoteOptions, 'host' | 'port'> = {}) => {
    const leaf = issueLeaf(ca, names);
    const server = await startRemoteSmtp({ host, port, ...options, server: { key: leaf.key, cert: leaf.fullchain, ...options.server } });
    remotes.push(server);
    return server;
  };
  const config = (extra = '') => testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "3s"\ntimeout = "10s"\n${extra}`);
  const trusted = () => `tls_CAfile = "${ca.rootFile}"`;
  const relay = (extra = '') => config(`relayhost = "[relay.test]"\nrelayhost_username = "apikey"\nrelayhost_password = "SG.secret-key"\n${extra}`);
  let verified: RemoteSmtp;
  let hosting: RemoteSmtp;
  let relayServer: RemoteSmtp;
  let plainRelay: RemoteSmtp;

  before(async () => {
    port = await freePort();
    ca = createTestCa(await mkdtemp(join(tmpdir(), 'postern-tls-verify-')));
    dns = await startDnsServer({
      'verified.test': { MX: [{ exchange: 'mx.verified.test', priority: 10 }] },
      'mx.verified.test': { A: [MX.verified] },
      // The MX name is not the one on the certificate of the server at its address.
      'misnamed.test': { MX: [{ exchange: 'mx.misnamed.test', priority: 10 }] },
      'mx.misnamed.test': { A: [MX.verified] },
      // A domain hosted by a provider: the certificate names the provider's MX, not the domain.
      'hosted.test': { MX: [{ exchange: 'mx.hosting.test', priority: 10 }] },
      'mx.hosting.test': { A: [MX.hosting] },
      'relay.test': { A: [MX.relay] },
      'plainrelay.test': { A: [MX.notls] },
      'openrelay.test': { A: [MX.open] },
    });
    verified = await remote(MX.verified, ['mx.verified.test']);
    hosting = await remote(MX.hosting, ['mx.hosting.test']);
    relayServer = await remote(MX.relay, ['relay.test'], { logins: { apikey: 'SG.secret-key' }, server: { authMethods: ['PLAIN', 'LOGIN'] } });
    plainRelay = await remote(MX.notls, ['plainrelay.test'], { server: { hideSTARTTLS: true } });
    await remote(MX.open, ['openrelay.test']);
  });
  after(async () => {
    await Promise.all(remotes.map((server) => server.stop()));
    await dns.stop();
  });

  test('"verify" without smtp.tls_CAfile defers with 4.7.5: the test CA is not in the system store; nothing is sent', async () => {
    const { ctx, logs } = testContext({ config: config('tls_security_level = "verify"'), dns: dns.address });
    const before = verified.messages.length;
    const [outcome] = await deliver(ctx, testRequest(['a@verified.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.7.5');
    assert.match(outcome?.response ?? '', /^4\.7\.5 Server certificate not trusted \(.+\) for host mx\.verified\.test\[127\.0\.0\.90\]:\d+ at smtp\.tls_security_level = "verify"/);
    assert.equal(verified.messages.length, before);
    // The maillog line carries the reason, as Postfix's "status=deferred (…)" does.
    const line = logs().find((entry) => entry['event'] === 'delivery');
    assert.equal(line?.['status'], 'deferred');
    assert.match(String(line?.['msg']), /status=deferred \(4\.7\.5 Server certificate not trusted/);
  });

  test('"verify" with the test CA in smtp.tls_CAfile delivers over TLS (chain and MX host name match)', async () => {
    const { ctx } = testContext({ config: config(`tls_security_level = "verify"\n${trusted()}`), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['b@verified.test']));
    assert.equal(outcome?.status, 'delivered', outcome?.response);
    assert.equal(verified.messages.at(-1)?.secure, true);
  });

  test('"verify" defers when the certificate does not name the MX host (RFC 6125 §6.4)', async () => {
    const { ctx } = testContext({ config: config(`tls_security_level = "verify"\n${trusted()}`), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['c@misnamed.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.match(outcome?.response ?? '', /^4\.7\.5 Server certificate not verified \(no name matches mx\.misnamed\.test; certificate names: mx\.verified\.test\)/);
  });

  test('"secure" matches the next-hop domain, not the MX name: a provider-hosted domain is deferred where "verify" delivers', async () => {
    const atVerify = testContext({ config: config(`tls_security_level = "verify"\n${trusted()}`), dns: dns.address });
    const [viaMx] = await deliver(atVerify.ctx, testRequest(['d@hosted.test']));
    assert.equal(viaMx?.status, 'delivered', viaMx?.response);
    const atSecure = testContext({ config: config(`tls_security_level = "secure"\n${trusted()}`), dns: dns.address });
    const before = hosting.messages.length;
    const [secure] = await deliver(atSecure.ctx, testRequest(['e@hosted.test']));
    assert.equal(secure?.status, 'deferred');
    assert.match(secure?.response ?? '', /no name matches hosted\.test, \.hosted\.test/);
    assert.equal(hosting.messages.length, before);
    // Postfix's "dot-nexthop": a host under the domain is a match at "secure".
    const [own] = await deliver(atSecure.ctx, testRequest(['f@verified.test']));
    assert.equal(own?.status, 'delivered', `mx.verified.test is under verified.test: ${own?.response}`);
  });

  test('at the default level, the relay host login is never sent over unverified TLS: deferred 4.7.5, no AUTH', async () => {
    assert.equal(relay().smtp.tls_security_level, 'may');
    const { ctx } = testContext({ config: relay(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['someone@far-away.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.7.5');
    assert.match(outcome?.response ?? '', /Server certificate not trusted .* for host relay\.test\[127\.0\.0\.92\]:\d+ at smtp\.tls_security_level = "verify"/);
    assert.deepEqual(relayServer.logins, []);
    assert.equal(relayServer.messages.length, 0);
    // The connection never got past STARTTLS: no AUTH in the plaintext part either.
    assert.doesNotMatch(relayServer.connections.map((c) => c.chunks.join('')).join(''), /AUTH/);
    assert.equal(relayTlsWarning(relay()), null);
  });

  test('with the test CA in smtp.tls_CAfile the relay host is verified and the login is used', async () => {
    const { ctx } = testContext({ config: relay(trusted()), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['someone@far-away.test']));
    assert.equal(outcome?.status, 'delivered', outcome?.response);
    assert.equal(relayServer.messages.at(-1)?.user, 'apikey');
    assert.equal(relayServer.messages.at(-1)?.secure, true);
  });

  test('smtp.relayhost_tls_security_level = "encrypt" lowers it explicitly: AUTH over unverified TLS, with a warning for the start', async () => {
    const cfg = relay('relayhost_tls_security_level = "encrypt"');
    assert.match(relayTlsWarning(cfg) ?? '', /relayhost_tls_security_level = "encrypt": the login for \[relay\.test\] is sent over TLS whose certificate is not verified/);
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const logins = relayServer.logins.length;
    const [outcome] = await deliver(ctx, testRequest(['other@far-away.test']));
    assert.equal(outcome?.status, 'delivered', outcome?.response);
    assert.equal(relayServer.logins.length, logins + 1);
  });

  test('"encrypt" for a relay host without STARTTLS defers with 4.7.4', async () => {
    const cfg = config('relayhost = "[plainrelay.test]"\nrelayhost_tls_security_level = "encrypt"');
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['x@far-away.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.7.4');
    assert.match(outcome?.response ?? '', /TLS is required, but was not offered by host plainrelay\.test/);
    assert.equal(plainRelay.messages.length, 0);
  });

  test('a relay host without a login stays opportunistic at "may": an unverified certificate is fine', async () => {
    const { ctx } = testContext({ config: config('relayhost = "[openrelay.test]"'), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['y@far-away.test']));
    assert.equal(outcome?.status, 'delivered', outcome?.response);
  });

  test('an unreadable smtp.tls_CAfile defers with 4.3.5 naming the file', async () => {
    const { ctx } = testContext({ config: config(`tls_security_level = "verify"\ntls_CAfile = "${join(ca.dir, 'missing.pem')}"`), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['g@verified.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.3.5');
    assert.match(outcome?.response ?? '', /cannot read smtp\.tls_CAfile .*missing\.pem/);
  });
});
