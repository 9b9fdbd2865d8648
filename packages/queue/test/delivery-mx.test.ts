import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createResolver } from '@postern/dns';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { freePort } from '../../../test/support/ports.js';
import { deliver, nextHopKey } from '../src/delivery/index.js';
import { nextHopFor } from '../src/delivery/next-hop.js';
import { resolveRoutes } from '../src/delivery/routes.js';
import { testConfig, testContext, testRequest } from './support/delivery-context.js';
import { startRemoteSmtp, type RemoteSmtp } from '../../../test/support/remote-smtp.js';

// This file's servers live on 127.0.0.20-29 (and ::1).
describe('delivery: next hop and MX routing (RFC 5321 §5.1)', () => {
  let dns: DnsTestServer;
  let port: number;
  let mxB: RemoteSmtp;
  let mxC: RemoteSmtp;
  let implicit: RemoteSmtp;
  let routed: RemoteSmtp;
  let v6: RemoteSmtp;

  before(async () => {
    port = await freePort();
    dns = await startDnsServer({
      // mx-a is preferred but nothing listens on 127.0.0.21.
      'pref.test': { MX: [{ exchange: 'mx-b.pref.test', priority: 20 }, { exchange: 'mx-a.pref.test', priority: 10 }] },
      'mx-a.pref.test': { A: ['127.0.0.21'] },
      'mx-b.pref.test': { A: ['127.0.0.22'] },
      'both.test': { MX: [{ exchange: 'mx-b.pref.test', priority: 20 }, { exchange: 'mx-c.both.test', priority: 10 }] },
      'mx-c.both.test': { A: ['127.0.0.23'] },
      'implicit.test': { A: ['127.0.0.24'] },
      'nullmx.test': { MX: [{ exchange: '.', priority: 0 }] },
      'servfail.test': { SERVFAIL: true },
      'loop.test': { MX: [{ exchange: 'mail.test.example', priority: 10 }] },
      'backup.test': { MX: [{ exchange: 'mail.test.example', priority: 20 }, { exchange: 'mx-c.both.test', priority: 10 }, { exchange: 'mx-b.pref.test', priority: 30 }] },
      'equal.test': { MX: [{ exchange: 'mx-a.pref.test', priority: 10 }, { exchange: 'mx-b.pref.test', priority: 10 }] },
      'refused.test': { MX: [{ exchange: 'mx-a.pref.test', priority: 10 }, { exchange: 'mx-d.refused.test', priority: 20 }] },
      'mx-d.refused.test': { A: ['127.0.0.26'] },
      'dual.test': { MX: [{ exchange: 'mx.dual.test', priority: 10 }] },
      'mx.dual.test': { A: ['127.0.0.27'], AAAA: ['::1'] },
      'badhost.test': { MX: [{ exchange: 'gone.badhost.test', priority: 10 }] },
      'relay.test': { MX: [{ exchange: 'mx-c.both.test', priority: 10 }] },
    });
    mxB = await startRemoteSmtp({ host: '127.0.0.22', port });
    mxC = await startRemoteSmtp({ host: '127.0.0.23', port });
    implicit = await startRemoteSmtp({ host: '127.0.0.24', port });
    routed = await startRemoteSmtp({ host: '127.0.0.25', port: port + 1 });
    v6 = await startRemoteSmtp({ host: '::1', port });
  });
  after(async () => {
    await Promise.all([mxB.stop(), mxC.stop(), implicit.stop(), routed.stop(), v6.stop()]);
    await dns.stop();
  });

  const config = (extra = '') => testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "3s"\ntimeout = "10s"\n${extra}`);

  test('falls back to the next MX when the preferred one refuses the connection, and logs one maillog line', async () => {
    const { ctx, logs } = testContext({ config: config(), dns: dns.address });
    const request = testRequest(['bob@pref.test']);
    const [outcome] = await deliver(ctx, request);
    assert.deepEqual(outcome, { address: 'bob@pref.test', status: 'delivered', response: '250 2.0.0 Ok: queued as REMOTE1', dsn: '2.0.0', relay: `mx-b.pref.test[127.0.0.22]:${port}`, remote: true, dsnPassedOn: false, policy: 'tls:may' });
    assert.equal(mxB.messages.at(-1)?.recipients[0], 'bob@pref.test');
    const lines = logs().filter((line) => line['event'] === 'delivery');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!['status'], 'sent');
    assert.equal(lines[0]!['queue_id'], request.queueId);
    assert.match(String(lines[0]!['msg']), new RegExp(`^${request.queueId}: to=<bob@pref\\.test>, relay=mx-b\\.pref\\.test\\[127\\.0\\.0\\.22\\]:${port}, policy=tls:may, delay=\\d+\\.\\d\\d, dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as REMOTE1\\)$`));
  });

  test('uses the MX with the lowest preference value when it answers', async () => {
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const before = mxB.messages.length;
    const [outcome] = await deliver(ctx, testRequest(['carol@both.test']));
    assert.equal(outcome?.relay, `mx-c.both.test[127.0.0.23]:${port}`);
    assert.equal(mxC.messages.at(-1)?.recipients[0], 'carol@both.test');
    assert.equal(mxB.messages.length, before);
  });

  test('orders MX hosts of equal preference at random', async () => {
    const cfg = config();
    const resolver = createResolver({ servers: [dns.address], timeoutMs: 1000, cache: false });
    const firsts = new Set<string>();
    for (let i = 0; i < 40 && firsts.size < 2; i++) {
      const routing = await resolveRoutes(cfg, resolver, nextHopFor(cfg, 'equal.test'));
      assert.equal(routing.kind, 'routes');
      if (routing.kind === 'routes') firsts.add(routing.routes[0]!.name);
    }
    assert.deepEqual([...firsts].sort(), ['mx-a.pref.test', 'mx-b.pref.test']);
  });

  test('delivers to the domain itself when it has no MX records (implicit MX)', async () => {
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['dave@implicit.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(outcome?.relay, `implicit.test[127.0.0.24]:${port}`);
    assert.equal(implicit.messages.at(-1)?.recipients[0], 'dave@implicit.test');
  });

  test('tries a host\'s IPv4 addresses, then its IPv6 ones', async () => {
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['erin@dual.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(outcome?.relay, `mx.dual.test[::1]:${port}`);
    assert.equal(v6.messages.at(-1)?.recipients[0], 'erin@dual.test');
  });

  test('bounces mail for a null MX domain with 5.1.10 (RFC 7505)', async () => {
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['frank@nullmx.test']));
    assert.equal(outcome?.status, 'bounced');
    assert.equal(outcome?.dsn, '5.1.10');
    assert.match(outcome?.response ?? '', /^5\.1\.10 nullmx\.test: Domain does not accept mail/);
    assert.equal(outcome?.relay, null);
    assert.equal(outcome?.remote, false);
  });

  test('bounces mail for a domain that does not exist with 5.1.2', async () => {
    const { ctx, logs } = testContext({ config: config(), dns: dns.address });
    const outcomes = await deliver(ctx, testRequest(['gina@nowhere.test', 'hank@nowhere.test']));
    assert.deepEqual(outcomes.map((o) => [o.address, o.status, o.dsn]), [['gina@nowhere.test', 'bounced', '5.1.2'], ['hank@nowhere.test', 'bounced', '5.1.2']]);
    assert.equal(outcomes[0]?.response, '5.1.2 Host or domain name not found. Name service error for name=nowhere.test type=MX: Host not found');
    assert.equal(logs().filter((line) => line['status'] === 'bounced').length, 2);
  });

  test('defers mail with 4.4.3 when the MX lookup fails temporarily', async () => {
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['ivan@servfail.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.4.3');
    assert.match(outcome?.response ?? '', /name=servfail\.test type=MX: Host not found, try again$/);
  });

  test('bounces mail whose only MX is our own hostname with 5.4.6', async () => {
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['judy@loop.test']));
    assert.equal(outcome?.status, 'bounced');
    assert.equal(outcome?.response, '5.4.6 mail for loop.test loops back to myself');
  });

  test('as a backup MX, tries only the hosts preferred to us', async () => {
    const cfg = config();
    const resolver = createResolver({ servers: [dns.address], timeoutMs: 1000, cache: false });
    const routing = await resolveRoutes(cfg, resolver, nextHopFor(cfg, 'backup.test'));
    assert.equal(routing.kind, 'routes');
    if (routing.kind === 'routes') assert.deepEqual(routing.routes.map((route) => route.name), ['mx-c.both.test']);
  });

  test('defers with the last reason (4.4.1) when no MX host answers', async () => {
    const refusing = testConfig(`[smtp]\nport = ${port + 2}\nconnect_timeout = "3s"`);
    const { ctx } = testContext({ config: refusing, dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['kim@refused.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.4.1');
    assert.equal(outcome?.response, `4.4.1 connect to mx-d.refused.test[127.0.0.26]:${port + 2}: Connection refused`);
    assert.equal(outcome?.relay, null);
  });

  test('bounces with 5.4.4 when the MX host has no address', async () => {
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['liz@badhost.test']));
    assert.equal(outcome?.status, 'bounced');
    assert.equal(outcome?.dsn, '5.4.4');
    assert.match(outcome?.response ?? '', /name=gone\.badhost\.test type=A: Host not found$/);
  });

  test('sends a domain in transport_maps to its next hop without an MX lookup', async () => {
    const cfg = config(`[smtp.transport_maps]\n"routed.test" = "[127.0.0.25]:${port + 1}"\n".sub.test" = "[127.0.0.25]:${port + 1}"`);
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['mia@routed.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(outcome?.relay, `127.0.0.25[127.0.0.25]:${port + 1}`);
    assert.equal(routed.messages.at(-1)?.recipients[0], 'mia@routed.test');
    assert.equal(dns.count('routed.test'), 0);
    const [sub] = await deliver(ctx, testRequest(['ned@deep.sub.test']));
    assert.equal(sub?.status, 'delivered');
    assert.equal(nextHopKey(cfg, 'routed.test'), `relay:[127.0.0.25]:${port + 1}`);
    assert.equal(nextHopKey(cfg, 'ROUTED.test'), `relay:[127.0.0.25]:${port + 1}`);
    assert.equal(nextHopKey(cfg, 'pref.test'), 'pref.test');
  });

  test('looks up the MX of a relayhost written without brackets', async () => {
    const cfg = config(`relayhost = "relay.test"`);
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['olga@implicit.test']));
    assert.equal(outcome?.relay, `mx-c.both.test[127.0.0.23]:${port}`);
    assert.equal(mxC.messages.at(-1)?.recipients[0], 'olga@implicit.test');
    assert.equal(nextHopKey(cfg, 'implicit.test'), `relay:relay.test:${port}`);
  });

  test('defers rather than bounces when a configured relay host does not exist', async () => {
    const cfg = config(`relayhost = "[gone.badhost.test]"`);
    const { ctx } = testContext({ config: cfg, dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['pat@implicit.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.4.4');
  });
});
