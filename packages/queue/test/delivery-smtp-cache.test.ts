// The SMTP transport's connection cache (Postfix smtp_connection_cache_on_demand, smtp_connection_cache_time_limit,
// smtp_connection_reuse_count_limit): real remote servers on 127.0.0.150-157, real sockets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { freePort } from '../../../test/support/ports.js';
import { startRemoteSmtp, type RemoteSmtp } from '../../../test/support/remote-smtp.js';
import { DEFAULT_CACHE_LIMITS, type SessionCacheLimits } from '../src/delivery/session-cache.js';
import { deliver, SessionCache } from '../src/delivery/index.js';
import type { DeliveryContext } from '../src/types.js';
import { selfSignedCertificate } from './support/certificate.js';
import { testConfig, testContext, testRequest } from './support/delivery-context.js';
import { startScriptedServer } from './support/scripted-server.js';
import { waitFor } from './runner-world.js';
import { mxZone } from './support/mx-zone.js';

const HOSTS: Record<string, string> = {
  'reuse.test': '127.0.0.150',
  'idle.test': '127.0.0.151',
  'rset.test': '127.0.0.152',
  'silent.test': '127.0.0.157',
  'relay.test': '127.0.0.153',
  'count.test': '127.0.0.154',
  'quit.test': '127.0.0.155',
  'sni-a.test': '127.0.0.156',
  'sni-b.test': '127.0.0.156',
};

const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

describe('delivery: the SMTP connection cache', () => {
  let dns: DnsTestServer;
  let port: number;
  const caches: SessionCache[] = [];
  const servers: { stop(): Promise<void> }[] = [];

  before(async () => {
    port = await freePort();
    const zone = mxZone(HOSTS);
    dns = await startDnsServer(zone);
  });
  after(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    await Promise.all(servers.map((server) => server.stop()));
    await dns.stop();
  });

  const remote = async (domain: string, server: Parameters<typeof startRemoteSmtp>[0]['server'] = {}, logins?: Record<string, string>): Promise<RemoteSmtp> => {
    const started = await startRemoteSmtp({ host: HOSTS[domain]!, port, server, ...(logins === undefined ? {} : { logins }) });
    servers.push(started);
    return started;
  };
  /** A delivery context with an SMTP session cache; `backlog` is what the runner would say about the next hop. */
  const context = (extra = '', limits: Partial<SessionCacheLimits> = {}, backlog = true, level = 'none'): DeliveryContext => {
    const { ctx } = testContext({ config: testConfig(`[smtp]\nport = ${port}\ntls_security_level = "${level}"\nconnect_timeout = "3s"\n${/^timeout =/m.test(extra) ? '' : 'timeout = "10s"\n'}${extra}`), dns: dns.address });
    const cache = new SessionCache({ ...DEFAULT_CACHE_LIMITS, ...limits });
    caches.push(cache);
    ctx.smtpSessions = cache;
    ctx.backlog = () => backlog;
    return ctx;
  };

  test('while the destination has a backlog, the next message reuses the session after RSET (RFC 5321 §4.1.4), MAIL/RCPT/DATA still pipelined (RFC 2920)', async () => {
    const server = await remote('reuse.test');
    const ctx = context();
    for (const [i, recipients] of [['a@reuse.test'], ['b@reuse.test', 'c@reuse.test'], ['d@reuse.test']].entries()) {
      const outcomes = await deliver(ctx, testRequest(recipients, { subject: `reuse ${i}` }));
      assert.deepEqual(outcomes.map((outcome) => outcome.status), recipients.map(() => 'delivered'));
    }
    assert.equal(server.connections.length, 1, 'one session for three messages');
    const { chunks } = server.connections[0]!;
    const raw = chunks.join('');
    assert.equal(count(raw, /^EHLO /gm), 1);
    assert.equal(count(raw, /^RSET\r\n/gm), 2, 'RSET before the second and third MAIL');
    assert.equal(count(raw, /^MAIL FROM:/gm), 3);
    assert.ok(chunks.some((chunk) => /^MAIL FROM:<alice@test\.example>[^\r]*\r\nRCPT TO:<b@reuse\.test>[^\r]*\r\nRCPT TO:<c@reuse\.test>[^\r]*\r\nDATA\r\n$/.test(chunk)), 'MAIL, both RCPTs and DATA in one write on the reused session');
    assert.doesNotMatch(raw, /^QUIT/m, 'the session waits in the cache');
    assert.deepEqual(server.messages.map((message) => message.recipients), [['a@reuse.test'], ['b@reuse.test', 'c@reuse.test'], ['d@reuse.test']]);
  });

  test('without a backlog, or with smtp.connection_cache_on_demand = false, each message has its own session, ended with QUIT', async () => {
    const server = await remote('quit.test');
    for (const ctx of [context('', {}, false), context('connection_cache_on_demand = false')]) {
      const before = server.connections.length;
      for (const rcpt of ['x@quit.test', 'y@quit.test']) assert.equal((await deliver(ctx, testRequest([rcpt])))[0]?.status, 'delivered');
      await waitFor('the QUITs', () => server.connections.slice(before).every((connection) => /QUIT\r\n$/.test(connection.chunks.join(''))) && server.open === 0);
      assert.equal(server.connections.length - before, 2);
    }
  });

  test('a cached session the server closed while idle (421 timeout) is dropped: the next message goes over a new session, once', async () => {
    // smtp-server's socketTimeout: "421 Timeout - closing connection", then the close, as Postfix smtpd does after its idle timeout.
    const server = await remote('idle.test', { socketTimeout: 1000 });
    const ctx = context('', { idleMs: 10_000 });
    assert.equal((await deliver(ctx, testRequest(['first@idle.test'])))[0]?.status, 'delivered');
    await waitFor('the server to close the idle session', () => server.open === 0);
    const [second] = await deliver(ctx, testRequest(['second@idle.test']));
    assert.equal(second?.status, 'delivered', second?.response);
    assert.equal(server.connections.length, 2, 'a new session for the second message');
    assert.deepEqual(server.messages.map((message) => message.recipients), [['first@idle.test'], ['second@idle.test']], 'each message once');
  });

  // RFC 5321 §3.8: 421 closes the session; a peer that dropped it silently (a NAT timeout) never answers, and smtp_rset_timeout
  // (at most smtp.timeout, 2 s here) gives up on it.
  for (const [domain, rsetReply, why] of [
    ['rset.test', '421 4.4.2 mx.rset.test Error: timeout exceeded\r\n', 'gets 421'],
    ['silent.test', null, 'gets no answer'],
  ] as const) {
    test(`a cached session whose RSET ${why} is dropped: the message goes over a new session, once, and the attempt is not failed`, async () => {
      let sessions = 0;
      const server = await startScriptedServer(HOSTS[domain]!, port, `220 mx.${domain} ESMTP\r\n`, (line) => {
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') {
          sessions++;
          return `250-mx.${domain}\r\n250 PIPELINING\r\n`;
        }
        if (verb === 'RSET') return rsetReply;
        if (verb === 'MAIL' || verb === 'RCPT') return '250 2.1.0 Ok\r\n';
        if (verb === 'DATA') return '354 End data with <CR><LF>.<CR><LF>\r\n';
        if (line === '.') return '250 2.0.0 Ok: queued\r\n';
        if (verb === 'QUIT') return '221 2.0.0 Bye\r\n';
        return '502 5.5.2 Error: command not recognized\r\n';
      });
      servers.push(server);
      const ctx = context(rsetReply === null ? 'timeout = "2s"' : '');
      assert.equal((await deliver(ctx, testRequest([`first@${domain}`])))[0]?.status, 'delivered');
      const [second] = await deliver(ctx, testRequest([`second@${domain}`]));
      assert.equal(second?.status, 'delivered', second?.response);
      assert.equal(sessions, 2, 'a new session for the second message');
      assert.equal(server.received.filter((line) => line === 'RSET').length, 1);
      assert.equal(server.received.filter((line) => line === '.').length, 2, 'each message sent once');
    });
  }

  test('smtp.connection_reuse_count_limit: a session that carried that many transactions is QUIT, not cached', async () => {
    const server = await remote('count.test');
    const ctx = context('', { reuseCount: 2 });
    for (const rcpt of ['1@count.test', '2@count.test', '3@count.test']) assert.equal((await deliver(ctx, testRequest([rcpt])))[0]?.status, 'delivered');
    assert.equal(server.connections.length, 2);
    assert.match(server.connections[0]!.chunks.join(''), /^MAIL FROM:[\s\S]*^RSET\r\n[\s\S]*QUIT\r\n$/m, 'two transactions, then QUIT');
  });

  test('sessions are not shared across TLS levels and logins: the relay host (AUTH, "encrypt") and a transport to the same host ("may", no login)', async () => {
    const tls = await selfSignedCertificate('mx.relay.test');
    const host = HOSTS['relay.test']!;
    const server = await remote('relay.test', { ...tls, authMethods: ['PLAIN'], authOptional: true }, { relayuser: 'relay password' });
    const ctx = context(
      [
        `relayhost = "[${host}]:${port}"`,
        'relayhost_username = "relayuser"',
        'relayhost_password = "relay password"',
        'relayhost_tls_security_level = "encrypt"',
        `transport_maps = { "direct.test" = "[${host}]:${port}" }`,
      ].join('\n'),
      {},
      true,
      'may',
    );
    for (const rcpt of ['r1@relayed.test', 'd1@direct.test', 'r2@relayed.test', 'd2@direct.test']) {
      const [outcome] = await deliver(ctx, testRequest([rcpt]));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
    }
    assert.equal(server.connections.length, 2, 'one session per TLS level and login, each reused');
    assert.equal(server.logins.length, 1, 'one AUTH');
    const userOf = Object.fromEntries(server.messages.map((message) => [message.recipients[0], message.user]));
    assert.deepEqual(userOf, { 'r1@relayed.test': 'relayuser', 'd1@direct.test': null, 'r2@relayed.test': 'relayuser', 'd2@direct.test': null }, 'no direct message goes over the logged-in session');
    assert.ok(server.messages.every((message) => message.secure));
  });

  test('sessions are not shared across MX host names (SNI) even on one address', async () => {
    const server = await remote('sni-a.test');
    const ctx = context();
    for (const rcpt of ['1@sni-a.test', '1@sni-b.test', '2@sni-a.test', '2@sni-b.test']) assert.equal((await deliver(ctx, testRequest([rcpt])))[0]?.status, 'delivered');
    assert.equal(server.connections.length, 2, 'mx.sni-a.test and mx.sni-b.test, each reused once');
  });
});
