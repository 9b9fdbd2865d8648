// The LMTP transport's connection cache (Postfix scache, smtp_connection_cache_time_limit 2 s):
// real LMTP servers on 127.0.0.90-99, real sockets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { freePort } from '../../../test/support/ports.js';
import { startRemoteSmtp } from '../../../test/support/remote-smtp.js';
import { deliver, SessionCache } from '../src/delivery/index.js';
import { startScriptedServer } from './support/scripted-server.js';
import { testConfig, testContext, testRequest } from './support/delivery-context.js';

describe('delivery: the LMTP connection cache', () => {
  let dns: DnsTestServer;
  let port: number;

  before(async () => {
    port = await freePort();
    dns = await startDnsServer({});
  });
  after(() => dns.stop());

  const config = () => testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "3s"\ntimeout = "10s"`);

  test('the next delivery within 2 s reuses the session: one connection, one LHLO, no QUIT in between', async () => {
    const lmtp = await startRemoteSmtp({ host: '127.0.0.90', port, server: { lmtp: true }, lmtpReplies: {} });
    const cache = new SessionCache();
    try {
      const { ctx } = testContext({ config: config(), dns: dns.address, localDomains: ['local.test'], lmtp: { kind: 'tcp', host: '127.0.0.90', port } });
      ctx.lmtpSessions = cache;
      for (const rcpt of ['one@local.test', 'two@local.test', 'three@local.test']) {
        const [outcome] = await deliver(ctx, testRequest([rcpt]));
        assert.equal(outcome?.status, 'delivered');
      }
      assert.deepEqual(lmtp.messages.map((m) => m.recipients), [['one@local.test'], ['two@local.test'], ['three@local.test']]);
      assert.equal(lmtp.connections.length, 1, 'one LMTP connection for three messages');
      const raw = lmtp.connections[0]!.chunks.join('');
      assert.equal(raw.match(/^LHLO /gm)?.length, 1);
      assert.equal(raw.match(/^MAIL FROM:/gm)?.length, 3);
      assert.equal(raw.match(/^RSET\r\n/gm)?.length, 2, 'RSET before each MAIL on the reused session (RFC 5321 §4.1.4)');
      assert.doesNotMatch(raw, /^QUIT/m, 'the session waits in the cache');
      await cache.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(lmtp.connections[0]!.chunks.join(''), /QUIT\r\n$/, 'closing the cache QUITs it');
    } finally {
      await cache.close();
      await lmtp.stop();
    }
  });

  test('an idle session is QUIT after 2 s; the next delivery opens a new one', async () => {
    const lmtp = await startRemoteSmtp({ host: '127.0.0.91', port, server: { lmtp: true }, lmtpReplies: {} });
    const cache = new SessionCache();
    try {
      const { ctx } = testContext({ config: config(), dns: dns.address, localDomains: ['local.test'], lmtp: { kind: 'tcp', host: '127.0.0.91', port } });
      ctx.lmtpSessions = cache;
      await deliver(ctx, testRequest(['idle@local.test']));
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.match(lmtp.connections[0]!.chunks.join(''), /QUIT\r\n$/);
      await deliver(ctx, testRequest(['later@local.test']));
      assert.equal(lmtp.connections.length, 2);
      assert.equal(lmtp.messages.length, 2);
    } finally {
      await cache.close();
      await lmtp.stop();
    }
  });

  test('a cached session the server has given up on (421 to MAIL) is left, and the message goes over a fresh session once', async () => {
    let mails = 0;
    let refused = false;
    const server = await startScriptedServer('127.0.0.92', port, '220 lmtp.test LMTP\r\n', (line) => {
      const verb = line.split(' ')[0]!.toUpperCase();
      if (verb === 'LHLO') return '250-lmtp.test\r\n250 PIPELINING\r\n';
      // RSET before the reused session's MAIL (RFC 5321 §4.1.4) is still accepted: the MAIL is refused.
      if (verb === 'RSET') return '250 2.0.0 Ok\r\n';
      // The second transaction arrives on the cached session: the server has timed it out.
      if (verb === 'MAIL') {
        refused = ++mails === 2;
        return refused ? '421 4.4.2 lmtp.test Error: timeout exceeded\r\n' : '250 2.1.0 Ok\r\n';
      }
      if (verb === 'RCPT') return refused ? '503 5.5.1 Error: need MAIL command\r\n' : '250 2.1.5 Ok\r\n';
      if (verb === 'DATA') return refused ? '503 5.5.1 Error: need RCPT command\r\n' : '354 go ahead\r\n';
      if (line === '.') return '250 2.0.0 Ok: delivered\r\n';
      if (verb === 'QUIT') return '221 2.0.0 Bye\r\n';
      return '502 5.5.2 Error: command not recognized\r\n';
    });
    const cache = new SessionCache();
    try {
      const { ctx } = testContext({ config: config(), dns: dns.address, localDomains: ['local.test'], lmtp: { kind: 'tcp', host: '127.0.0.92', port } });
      ctx.lmtpSessions = cache;
      assert.equal((await deliver(ctx, testRequest(['first@local.test'])))[0]?.status, 'delivered');
      const [second] = await deliver(ctx, testRequest(['second@local.test']));
      assert.equal(second?.status, 'delivered', second?.response);
      assert.equal(server.received.filter((line) => line === '.').length, 2, 'each message sent once');
      assert.equal(server.received.filter((line) => line.startsWith('LHLO')).length, 2, 'a fresh session for the second message');
    } finally {
      await cache.close();
      await server.stop();
    }
  });
});
