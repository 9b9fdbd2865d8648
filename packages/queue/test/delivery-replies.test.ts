import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { freePort } from '../../../test/support/ports.js';
import { deliver } from '../src/delivery/index.js';
import { testConfig, testContext, testRequest } from './support/delivery-context.js';
import { startRemoteSmtp, type RemoteSmtp } from '../../../test/support/remote-smtp.js';
import { startSmtpSink } from './support/smtp-sink.js';
import { startStallServer } from './support/stall-server.js';
import { mxZone } from './support/mx-zone.js';

// This file's servers live on 127.0.0.40-59; each domain NAME.test has its MX on its own address.
const HOSTS: Record<string, string> = {
  'rcpt.test': '127.0.0.40',
  'plain.test': '127.0.0.41',
  'mailfail.test': '127.0.0.42',
  'mailsoft.test': '127.0.0.43',
  'backup.test': '127.0.0.44',
  'data.test': '127.0.0.45',
  'noutf8.test': '127.0.0.46',
  'utf8.test': '127.0.0.47',
  'small.test': '127.0.0.48',
  'sink.test': '127.0.0.49',
  'nodsn.test': '127.0.0.50',
  'greet.test': '127.0.0.51',
  'helo.test': '127.0.0.52',
  'silent.test': '127.0.0.53',
  'mute.test': '127.0.0.54',
  'dropdot.test': '127.0.0.55',
};

describe('delivery: what the remote server answers', () => {
  let dns: DnsTestServer;
  let port: number;
  const remotes: RemoteSmtp[] = [];
  const remote = async (domain: string, options: Omit<Parameters<typeof startRemoteSmtp>[0], 'host' | 'port'> = {}) => {
    const server = await startRemoteSmtp({ host: HOSTS[domain]!, port, ...options });
    remotes.push(server);
    return server;
  };
  const config = (extra = '') => testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "3s"\ntimeout = "10s"\ntls_security_level = "none"\n${extra}`);

  before(async () => {
    port = await freePort();
    const zone = mxZone(HOSTS);
    // Second-choice MX hosts for the fallback cases.
    zone['mailsoft.test'] = { MX: [{ exchange: 'mx.mailsoft.test', priority: 10 }, { exchange: 'mx.backup.test', priority: 20 }] };
    zone['mailfail.test'] = { MX: [{ exchange: 'mx.mailfail.test', priority: 10 }, { exchange: 'mx.backup.test', priority: 20 }] };
    zone['greet.test'] = { MX: [{ exchange: 'mx.greet.test', priority: 10 }, { exchange: 'mx.backup.test', priority: 20 }] };
    dns = await startDnsServer(zone);
  });
  after(async () => {
    await Promise.all(remotes.map((server) => server.stop()));
    await dns.stop();
  });

  test('per-recipient RCPT replies: 250 delivered, 550 bounced, 450 deferred, each with the remote text', async () => {
    const server = await remote('rcpt.test', {
      refuseRecipients: {
        'bob@rcpt.test': [550, '5.1.1 <bob@rcpt.test>: Recipient address rejected: User unknown'],
        'carol@rcpt.test': [450, '4.2.1 <carol@rcpt.test>: Mailbox busy, try later'],
      },
    });
    const { ctx, logs } = testContext({ config: config(), dns: dns.address });
    const relay = `mx.rcpt.test[127.0.0.40]:${port}`;
    const outcomes = await deliver(ctx, testRequest(['alice@rcpt.test', 'bob@rcpt.test', 'carol@rcpt.test']));
    assert.deepEqual(outcomes, [
      { address: 'alice@rcpt.test', status: 'delivered', response: '250 2.0.0 Ok: queued as REMOTE1', dsn: '2.0.0', relay, remote: true, dsnPassedOn: false, policy: 'plain' },
      { address: 'bob@rcpt.test', status: 'bounced', response: '550 5.1.1 <bob@rcpt.test>: Recipient address rejected: User unknown', dsn: '5.1.1', relay, remote: true, dsnPassedOn: false, policy: 'plain' },
      { address: 'carol@rcpt.test', status: 'deferred', response: '450 4.2.1 <carol@rcpt.test>: Mailbox busy, try later', dsn: '4.2.1', relay, remote: true, dsnPassedOn: false, policy: 'plain' },
    ]);
    assert.equal(server.messages.length, 1);
    assert.deepEqual(server.messages[0]?.recipients, ['alice@rcpt.test']);
    assert.deepEqual(logs().filter((line) => line['event'] === 'delivery').map((line) => [line['to'], line['status'], line['dsn']]), [
      ['alice@rcpt.test', 'sent', '2.0.0'],
      ['bob@rcpt.test', 'bounced', '5.1.1'],
      ['carol@rcpt.test', 'deferred', '4.2.1'],
    ]);
  });

  test('pipelines MAIL, every RCPT and DATA in one write when the server offers PIPELINING (RFC 2920)', async () => {
    const server = await remote('plain.test', { server: { size: 1_000_000 } });
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const request = testRequest(['a@plain.test', 'b@plain.test', 'c@plain.test']);
    const outcomes = await deliver(ctx, request);
    assert.deepEqual(outcomes.map((o) => o.status), ['delivered', 'delivered', 'delivered']);
    const chunks = server.connections.at(-1)?.chunks ?? [];
    const envelope = chunks.find((chunk) => chunk.startsWith('MAIL FROM:'));
    // RFC 1870 §6: the SIZE the server advertised is answered with the message size.
    assert.equal(envelope, `MAIL FROM:<alice@test.example> SIZE=${request.message.size}\r\n` + 'RCPT TO:<a@plain.test>\r\nRCPT TO:<b@plain.test>\r\nRCPT TO:<c@plain.test>\r\nDATA\r\n');
  });

  test('sends one command at a time to a server without PIPELINING', async () => {
    const server = await remote('utf8.test', { server: { hidePIPELINING: true } });
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const outcomes = await deliver(ctx, testRequest(['a@utf8.test', 'b@utf8.test']));
    assert.deepEqual(outcomes.map((o) => o.status), ['delivered', 'delivered']);
    const chunks = server.connections.at(-1)?.chunks ?? [];
    assert.ok(chunks.some((chunk) => /^MAIL FROM:<alice@test\.example>[^\n]*\r\n$/.test(chunk)), JSON.stringify(chunks));
    assert.ok(chunks.includes('RCPT TO:<a@utf8.test>\r\n') && chunks.includes('RCPT TO:<b@utf8.test>\r\n') && chunks.includes('DATA\r\n'), JSON.stringify(chunks));
    // Dot-stuffing (RFC 5321 §4.5.2): the remote gets the line ".leading dot" back as sent.
    assert.match(server.messages.at(-1)?.message.toString() ?? '', /\r\n\.leading dot\r\n$/);
  });

  test('a 5xx to MAIL FROM bounces every recipient and tries no other MX', async () => {
    const server = await remote('mailfail.test', { refuseMail: [553, '5.7.1 <alice@test.example>: Sender address rejected: not owned'] });
    const backup = await remote('backup.test');
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const outcomes = await deliver(ctx, testRequest(['a@mailfail.test', 'b@mailfail.test']));
    assert.deepEqual(outcomes.map((o) => [o.status, o.response]), [
      ['bounced', '553 5.7.1 <alice@test.example>: Sender address rejected: not owned'],
      ['bounced', '553 5.7.1 <alice@test.example>: Sender address rejected: not owned'],
    ]);
    assert.equal(server.messages.length, 0);
    assert.equal(backup.messages.length, 0);
  });

  test('a 4xx to MAIL FROM moves on to the next MX', async () => {
    await remote('mailsoft.test', { refuseMail: [451, '4.3.0 Try again later'] });
    const backup = remotes.find((server) => server.host === HOSTS['backup.test'])!;
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['a@mailsoft.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.equal(outcome?.relay, `mx.backup.test[127.0.0.44]:${port}`);
    assert.deepEqual(backup.messages.at(-1)?.recipients, ['a@mailsoft.test']);
  });

  test('a refusal after the data applies to every recipient accepted at RCPT', async () => {
    await remote('data.test', { refuseData: [554, '5.7.1 Message rejected as spam'], refuseRecipients: { 'x@data.test': [450, '4.1.1 try later'] } });
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const outcomes = await deliver(ctx, testRequest(['a@data.test', 'x@data.test', 'b@data.test']));
    assert.deepEqual(outcomes.map((o) => [o.address, o.status, o.response]), [
      ['a@data.test', 'bounced', '554 5.7.1 Message rejected as spam'],
      ['x@data.test', 'deferred', '450 4.1.1 try later'],
      ['b@data.test', 'bounced', '554 5.7.1 Message rejected as spam'],
    ]);
  });

  test('bounces with 5.6.7 a message that needs SMTPUTF8 when the server does not offer it (RFC 6531 §3.5)', async () => {
    const server = await remote('noutf8.test', { server: { hideSMTPUTF8: true } });
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['a@noutf8.test'], { from: 'jürgen@test.example', smtputf8: true }));
    assert.equal(outcome?.status, 'bounced');
    assert.equal(outcome?.dsn, '5.6.7');
    assert.equal(outcome?.response, `5.6.7 SMTPUTF8 is required, but was not offered by host mx.noutf8.test[127.0.0.46]:${port}`);
    assert.equal(outcome?.remote, false);
    assert.equal(server.messages.length, 0);
  });

  test('sends SMTPUTF8 and BODY=8BITMIME when the message needs them and the server offers them', async () => {
    const server = remotes.find((s) => s.host === HOSTS['utf8.test'])!;
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['zoë@utf8.test'], { from: 'jürgen@test.example', smtputf8: true, eightBit: true }));
    assert.equal(outcome?.status, 'delivered');
    const received = server.messages.at(-1)!;
    assert.equal(received.mailFrom, 'jürgen@test.example');
    assert.deepEqual(received.recipients, ['zoë@utf8.test']);
    assert.equal(received.mailArgs['SMTPUTF8'], true);
    assert.equal(received.mailArgs['BODY'], '8BITMIME');
  });

  test('bounces with 5.3.4 a message over the SIZE the server declares (RFC 1870)', async () => {
    const server = await remote('small.test', { server: { size: 64 } });
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['a@small.test']));
    assert.equal(outcome?.status, 'bounced');
    assert.equal(outcome?.dsn, '5.3.4');
    assert.match(outcome?.response ?? '', /^5\.3\.4 message size \d+ exceeds size limit 64 of server mx\.small\.test/);
    assert.equal(server.messages.length, 0);
  });

  test('sends RET, ENVID, NOTIFY and ORCPT (xtext) to a server that advertises DSN (smtp-sink), which then owns the success notices', async (t) => {
    const sink = await startSmtpSink(t, HOSTS['sink.test']!, port);
    if (sink === null) return;
    t.after(() => sink.stop());
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const request = testRequest(
      [
        { address: 'a@sink.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;a+x=y@sink.test' },
        { address: 'b@sink.test', notify: ['NEVER'] },
      ],
      { dsn: { envid: 'QUEUE id+1', ret: 'HDRS' } },
    );
    const outcomes = await deliver(ctx, request);
    assert.deepEqual(outcomes.map((o) => o.status), ['delivered', 'delivered']);
    assert.deepEqual(outcomes.map((o) => o.dsnPassedOn), [true, true], 'RFC 3461 §5.2.1: NOTIFY went on');
    const [dump] = await sink.transactions();
    assert.equal(dump?.mailArgs, '<alice@test.example> RET=HDRS ENVID=QUEUE+20id+2B1');
    assert.deepEqual(dump?.rcptArgs, ['<a@sink.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+2Bx+3Dy@sink.test', '<b@sink.test> NOTIFY=NEVER']);
  });

  test('leaves the DSN parameters out for a server that does not advertise DSN (smtp-sink -N): NOTIFY did not go on', async (t) => {
    const sink = await startSmtpSink(t, HOSTS['nodsn.test']!, port, ['-N']);
    if (sink === null) return;
    t.after(() => sink.stop());
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const request = testRequest([{ address: 'a@nodsn.test', notify: ['SUCCESS'], orcpt: 'rfc822;a@nodsn.test' }], { dsn: { envid: 'ENV1', ret: 'FULL' } });
    const [outcome] = await deliver(ctx, request);
    assert.equal(outcome?.status, 'delivered');
    assert.equal(outcome?.dsnPassedOn, false);
    const [dump] = await sink.transactions();
    assert.equal(dump?.mailArgs, '<alice@test.example>');
    assert.deepEqual(dump?.rcptArgs, ['<a@nodsn.test>']);
  });

  test('skips a server that greets with 5xx and delivers to the next MX (smtp-sink -f connect)', async (t) => {
    const sink = await startSmtpSink(t, HOSTS['greet.test']!, port, ['-f', 'connect']);
    if (sink === null) return;
    t.after(() => sink.stop());
    const backup = remotes.find((server) => server.host === HOSTS['backup.test'])!;
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['a@greet.test']));
    assert.equal(outcome?.status, 'delivered');
    assert.deepEqual(backup.messages.at(-1)?.recipients, ['a@greet.test']);
  });

  test('falls back to HELO when the server refuses EHLO (smtp-sink -e)', async (t) => {
    const sink = await startSmtpSink(t, HOSTS['helo.test']!, port, ['-e']);
    if (sink === null) return;
    t.after(() => sink.stop());
    const { ctx } = testContext({ config: config('helo_name = "out.test.example"'), dns: dns.address });
    const request = testRequest(['a@helo.test'], { dsn: { envid: 'E', ret: 'FULL' } });
    const [outcome] = await deliver(ctx, request);
    assert.equal(outcome?.status, 'delivered');
    const [dump] = await sink.transactions();
    assert.equal(dump?.helo, 'out.test.example');
    // HELO leaves no extensions: no DSN parameters.
    assert.equal(dump?.mailArgs, '<alice@test.example>');
  });

  test('defers within the connect timeout a server that never greets', async () => {
    const stall = await startStallServer(HOSTS['silent.test']!, port);
    try {
      const { ctx } = testContext({ config: testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "1s"\ntimeout = "1s"`), dns: dns.address });
      const started = Date.now();
      const [outcome] = await deliver(ctx, testRequest(['a@silent.test']));
      const elapsed = Date.now() - started;
      assert.equal(outcome?.status, 'deferred');
      assert.equal(outcome?.dsn, '4.4.2');
      assert.equal(outcome?.response, `4.4.2 conversation with mx.silent.test[127.0.0.53]:${port} timed out while receiving the initial server greeting`);
      assert.ok(elapsed >= 900 && elapsed < 3000, `took ${elapsed} ms`);
      assert.equal(stall.accepted(), 1);
    } finally {
      await stall.stop();
    }
  });

  test('defers within smtp.timeout a server that greets and then never answers', async () => {
    const stall = await startStallServer(HOSTS['mute.test']!, port, '220 mute.test ESMTP');
    try {
      const { ctx } = testContext({ config: testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "5s"\ntimeout = "1s"`), dns: dns.address });
      const started = Date.now();
      const [outcome] = await deliver(ctx, testRequest(['a@mute.test']));
      const elapsed = Date.now() - started;
      assert.equal(outcome?.status, 'deferred');
      assert.equal(outcome?.response, `4.4.2 conversation with mx.mute.test[127.0.0.54]:${port} timed out while performing the EHLO handshake`);
      assert.ok(elapsed < 3000, `took ${elapsed} ms`);
    } finally {
      await stall.stop();
    }
  });

  test('defers, saying it may be sent twice, when the connection drops after the final dot (smtp-sink -q .)', async (t) => {
    const sink = await startSmtpSink(t, HOSTS['dropdot.test']!, port, ['-q', '.']);
    if (sink === null) return;
    t.after(() => sink.stop());
    const { ctx } = testContext({ config: config(), dns: dns.address });
    const [outcome] = await deliver(ctx, testRequest(['a@dropdot.test']));
    assert.equal(outcome?.status, 'deferred');
    assert.equal(outcome?.dsn, '4.4.2');
    assert.equal(outcome?.response, `4.4.2 lost connection with mx.dropdot.test[127.0.0.55]:${port} while sending end of data -- message may be sent more than once`);
  });
});
