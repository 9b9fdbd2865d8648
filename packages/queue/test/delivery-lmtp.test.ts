import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { freePort } from '../../../test/support/ports.js';
import { deliver } from '../src/delivery/index.js';
import { xforwardAttributes } from '../src/delivery/envelope.js';
import { Capabilities } from '../src/smtp-client/index.js';
import { waitFor } from './runner-world.js';
import { testConfig, testContext, testRequest } from './support/delivery-context.js';
import { startRemoteSmtp, type RemoteSmtp } from '../../../test/support/remote-smtp.js';
import { startSmtpSink } from './support/smtp-sink.js';

// This file's servers live on 127.0.0.80-89 and on unix sockets.
describe('delivery: local domains over LMTP (RFC 2033)', () => {
  let dns: DnsTestServer;
  let port: number;
  let dir: string;
  let lmtp: RemoteSmtp;

  before(async () => {
    port = await freePort();
    dir = await mkdtemp(join(tmpdir(), 'postern-delivery-lmtp-'));
    // local.test has an MX elsewhere: a local domain must never be looked up.
    dns = await startDnsServer({ 'local.test': { MX: [{ exchange: 'mx.elsewhere.test', priority: 10 }] }, 'mx.elsewhere.test': { A: ['127.0.0.89'] } });
    lmtp = await startRemoteSmtp({
      host: '127.0.0.80',
      port,
      server: { lmtp: true },
      refuseRecipients: { 'nobody@local.test': [550, '5.1.1 <nobody@local.test>: User unknown in virtual mailbox table'] },
      lmtpReplies: {
        'full@local.test': [452, '4.2.2 <full@local.test>: Mailbox full'],
        'gone@local.test': [550, '5.2.1 <gone@local.test>: Mailbox disabled'],
      },
    });
  });
  after(async () => {
    await lmtp.stop();
    await dns.stop();
  });

  const config = () => testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "3s"\ntimeout = "10s"`);

  test('takes one reply per accepted recipient after the data, and RCPT refusals as they come', async () => {
    const { ctx, logs } = testContext({ config: config(), dns: dns.address, localDomains: ['local.test'], lmtp: { kind: 'tcp', host: '127.0.0.80', port } });
    const outcomes = await deliver(ctx, testRequest(['alice@local.test', 'full@local.test', 'nobody@local.test', 'gone@local.test', 'bob@local.test']));
    const relay = `lmtp[127.0.0.80:${port}]`;
    assert.deepEqual(outcomes, [
      { address: 'alice@local.test', status: 'delivered', response: '250 2.1.5 <alice@local.test> delivered', dsn: '2.1.5', relay, remote: true, dsnPassedOn: false },
      { address: 'full@local.test', status: 'deferred', response: '452 4.2.2 <full@local.test>: Mailbox full', dsn: '4.2.2', relay, remote: true, dsnPassedOn: false },
      { address: 'nobody@local.test', status: 'bounced', response: '550 5.1.1 <nobody@local.test>: User unknown in virtual mailbox table', dsn: '5.1.1', relay, remote: true, dsnPassedOn: false },
      { address: 'gone@local.test', status: 'bounced', response: '550 5.2.1 <gone@local.test>: Mailbox disabled', dsn: '5.2.1', relay, remote: true, dsnPassedOn: false },
      { address: 'bob@local.test', status: 'delivered', response: '250 2.1.5 <bob@local.test> delivered', dsn: '2.1.5', relay, remote: true, dsnPassedOn: false },
    ]);
    const received = lmtp.messages.at(-1)!;
    assert.deepEqual(received.recipients, ['alice@local.test', 'full@local.test', 'gone@local.test', 'bob@local.test']);
    assert.equal(received.helo, 'mail.test.example');
    assert.equal(dns.count('local.test'), 0);
    assert.equal(logs().filter((line) => line['event'] === 'delivery' && line['relay'] === relay).length, 5);
  });

  test('speaks LHLO, never STARTTLS, to the LMTP server', async () => {
    const { ctx } = testContext({ config: config(), dns: dns.address, localDomains: ['local.test'], lmtp: { kind: 'tcp', host: '127.0.0.80', port } });
    await deliver(ctx, testRequest(['carol@local.test']));
    // QUIT goes out after the outcome is returned (it is recorded at the final replies).
    const raw = await waitFor('QUIT', () => {
      const chunks = lmtp.connections.at(-1)?.chunks.join('') ?? '';
      return chunks.endsWith('QUIT\r\n') && chunks;
    }, 5000);
    assert.match(raw, /^LHLO mail\.test\.example\r\nMAIL FROM:<alice@test\.example>\r\nRCPT TO:<carol@local\.test>\r\nDATA\r\n/);
    assert.match(raw, /\r\n\.\r\nQUIT\r\n$/);
    assert.equal(lmtp.messages.at(-1)?.secure, false);
  });

  test('sends XFORWARD IDENT=<queue id> before MAIL FROM when the LHLO lists XFORWARD with IDENT (Postfix XFORWARD_README)', async () => {
    const xport = await freePort();
    const server = await startRemoteSmtp({ host: '127.0.0.83', port: xport, server: { lmtp: true, useXForward: true }, lmtpReplies: {} });
    try {
      const { ctx } = testContext({ config: config(), dns: dns.address, localDomains: ['local.test'], lmtp: { kind: 'tcp', host: '127.0.0.83', port: xport } });
      const request = testRequest(['ivy@local.test']);
      const [outcome] = await deliver(ctx, request);
      assert.equal(outcome?.status, 'delivered');
      const raw = server.connections.at(-1)?.chunks.join('') ?? '';
      assert.ok(raw.startsWith(`LHLO mail.test.example\r\nXFORWARD IDENT=${request.queueId}\r\nMAIL FROM:<alice@test.example>\r\n`), raw);
    } finally {
      await server.stop();
    }
  });

  test('puts IDENT in XFORWARD only over LMTP and only when the server lists IDENT', () => {
    const request = testRequest(['ivy@local.test'], { queueId: 'Q+1=' });
    const hello = (keywords: string[]) => Capabilities.fromHello({ code: 250, enhanced: null, lines: ['mailstore.example', ...keywords] });
    assert.deepEqual(xforwardAttributes(request, hello(['PIPELINING', 'XFORWARD NAME ADDR PROTO HELO IDENT']), 'lmtp'), ['IDENT=Q+2B1+3D'], 'xtext');
    assert.deepEqual(xforwardAttributes(request, hello(['XFORWARD NAME ADDR PROTO HELO IDENT']), 'smtp'), []);
    assert.deepEqual(xforwardAttributes(request, hello(['XFORWARD NAME ADDR']), 'lmtp'), []);
    assert.deepEqual(xforwardAttributes(request, hello(['PIPELINING']), 'lmtp'), []);
  });

  test('delivers over a unix socket', async () => {
    const path = join(dir, 'lmtp.sock');
    const server = await startRemoteSmtp({ host: '', port: 0, path, server: { lmtp: true }, lmtpReplies: {} });
    try {
      const { ctx } = testContext({ config: config(), dns: dns.address, localDomains: ['local.test'], lmtp: { kind: 'unix', path } });
      const [outcome] = await deliver(ctx, testRequest(['dave@local.test']));
      assert.equal(outcome?.status, 'delivered');
      assert.equal(outcome?.relay, `lmtp[${path}]`);
      assert.deepEqual(server.messages.at(-1)?.recipients, ['dave@local.test']);
    } finally {
      await server.stop();
    }
  });

  test('defers every recipient with 4.4.1 when the LMTP server is down', async () => {
    const { ctx } = testContext({ config: config(), dns: dns.address, localDomains: ['local.test'], lmtp: { kind: 'tcp', host: '127.0.0.81', port } });
    const outcomes = await deliver(ctx, testRequest(['erin@local.test', 'frank@local.test']));
    assert.deepEqual(outcomes.map((o) => [o.status, o.dsn, o.relay]), [['deferred', '4.4.1', null], ['deferred', '4.4.1', null]]);
    assert.equal(outcomes[0]?.response, `4.4.1 connect to lmtp[127.0.0.81:${port}]: Connection refused`);
  });

  test('delivers to Postfix\'s smtp-sink in LMTP mode (-L), one reply per recipient', async (t) => {
    const sink = await startSmtpSink(t, '127.0.0.82', port, ['-L']);
    if (sink === null) return;
    t.after(() => sink.stop());
    const { ctx } = testContext({ config: config(), dns: dns.address, localDomains: ['local.test'], lmtp: { kind: 'tcp', host: '127.0.0.82', port } });
    const outcomes = await deliver(ctx, testRequest(['gina@local.test', 'hank@local.test']));
    assert.deepEqual(outcomes.map((o) => o.status), ['delivered', 'delivered']);
    for (const outcome of outcomes) assert.match(outcome.response, /^250 2\.\d+\.\d+ /);
    // smtp-sink advertises DSN: NOTIFY would have gone on, so success notices are its own (as Postfix lmtp(8) assumes).
    assert.deepEqual(outcomes.map((o) => o.dsnPassedOn), [true, true]);
    const [dump] = await sink.transactions();
    assert.deepEqual(dump?.rcptArgs, ['<gina@local.test>', '<hank@local.test>']);
    assert.equal(dump?.helo, 'mail.test.example');
  });
});
