// Local delivery exactly once (SPEC §4: "delivers none twice to a mailbox"): the queue's LMTP client
// sends Postfix's XFORWARD IDENT=<queue id> before MAIL FROM (XFORWARD_README: IDENT is the local
// queue id) and `postern mailstore` keeps one copy per queue id and mailbox, so the same queue entry
// delivered again — the MTA killed before it recorded the 250 — gets 250 and stores nothing.
// A client without XFORWARD (Python smtplib.LMTP) delivers as before; the MTA's public ports never
// take XFORWARD. Both store backends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deliver } from '../../packages/queue/src/delivery/index.js';
import { testConfig, testContext, testRequest } from '../../packages/queue/test/support/delivery-context.js';
import { startMtaInstance, type MtaInstance } from '../mta/instance.js';
import { SmtpDialogue } from '../mta/smtp-dialogue.js';
import { python } from '../support/python.js';

const LMTP_SEND_TWICE = `
import smtplib
for attempt in range(2):
    lmtp = smtplib.LMTP('127.0.0.1', args['port'])
    code, text = lmtp.ehlo('postfix.example.net')
    out['lhlo'] = [code, text.decode()]
    lmtp.mail(args['from'])
    lmtp.rcpt(args['to'])
    code, text = lmtp.data(args['message'].encode())
    out.setdefault('data', []).append([code, text.decode()])
    lmtp.quit()
`;

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`one copy per queue id: the queue's LMTP delivery into postern mailstore on ${backend}`, { timeout: 120_000 }, () => {
    let mta: MtaInstance;

    const subjects = async (address: string): Promise<string[]> => (await mta.inbox(address)).map((m) => m.record.headers.subject ?? '');
    const queueDelivery = () =>
      testContext({ config: testConfig('[smtp]\nconnect_timeout = "3s"\ntimeout = "10s"'), dns: mta.dns.address, localDomains: ['example.com'], lmtp: { kind: 'tcp', host: '127.0.0.1', port: mta.ports.lmtp } });

    before(async () => {
      mta = await startMtaInstance(backend, { mode: 'split' });
      await mta.addUser('alice@example.com', 'identity test password');
      await mta.addUser('bob@example.com', 'identity test password');
    });
    after(() => mta?.stop());

    it('delivers the same queue entry twice: both 250, the second "already delivered (queue id …)", one copy per mailbox', async () => {
      const subject = `twice ${backend}`;
      const request = testRequest(['alice@example.com', 'bob@example.com'], { subject });
      const { ctx } = queueDelivery();
      const first = await deliver(ctx, request);
      assert.deepEqual(first.map((o) => [o.status, o.response]), [
        ['delivered', '250 2.0.0 <alice@example.com> Saved'],
        ['delivered', '250 2.0.0 <bob@example.com> Saved'],
      ]);
      const again = await deliver(ctx, request);
      assert.deepEqual(again.map((o) => [o.status, o.response]), [
        ['delivered', `250 2.0.0 <alice@example.com> already delivered (queue id ${request.queueId})`],
        ['delivered', `250 2.0.0 <bob@example.com> already delivered (queue id ${request.queueId})`],
      ]);
      assert.deepEqual((await subjects('alice@example.com')).filter((s) => s === subject), [subject]);
      assert.deepEqual((await subjects('bob@example.com')).filter((s) => s === subject), [subject]);
      const logged = await mta.waitForLog((line) => line['service'] === 'lmtp' && line['duplicate'] === true && line['rcpt'] === 'bob@example.com' && line['queue_id'] === request.queueId);
      assert.match(String(logged['msg']), /already delivered to bob@example\.com INBOX uid \d+ \(queue id TESTQ\d+\): nothing stored/);
    });

    it('stores a recipient the first delivery did not reach, and not the one it did (a retry for the deferred recipient only)', async () => {
      const subject = `partial ${backend}`;
      const request = testRequest(['alice@example.com', 'bob@example.com'], { subject });
      const { ctx } = queueDelivery();
      const [alice] = await deliver(ctx, { ...request, recipients: [request.recipients[0]!] });
      assert.equal(alice?.response, '250 2.0.0 <alice@example.com> Saved');
      const retry = await deliver(ctx, request);
      assert.deepEqual(retry.map((o) => o.response), [`250 2.0.0 <alice@example.com> already delivered (queue id ${request.queueId})`, '250 2.0.0 <bob@example.com> Saved']);
      assert.equal((await subjects('alice@example.com')).filter((s) => s === subject).length, 1);
      assert.equal((await subjects('bob@example.com')).filter((s) => s === subject).length, 1);
    });

    it('gives different queue entries with identical bytes a copy each', async () => {
      const subject = `two entries ${backend}`;
      const first = testRequest(['alice@example.com'], { subject });
      const { message } = first;
      const { ctx } = queueDelivery();
      await deliver(ctx, { ...first, message });
      const [second] = await deliver(ctx, { ...testRequest(['alice@example.com']), message });
      assert.equal(second?.response, '250 2.0.0 <alice@example.com> Saved');
      assert.equal((await subjects('alice@example.com')).filter((s) => s === subject).length, 2);
    });

    it('advertises XFORWARD with IDENT on LHLO and holds an IDENT for one transaction only', async () => {
      const subject = `one transaction ${backend}`;
      const lmtp = await SmtpDialogue.open(mta.ports.lmtp);
      try {
        const lhlo = await lmtp.command('LHLO mta.example.net');
        assert.ok(lhlo.lines.some((line) => /^XFORWARD\b.*\bIDENT\b/.test(line)), lhlo.lines.join(' | '));
        assert.equal((await lmtp.command('XFORWARD IDENT=SAMECONN1')).code, 250);
        for (let i = 0; i < 2; i++) {
          assert.equal((await lmtp.command('MAIL FROM:<sender@outside.test>')).code, 250);
          assert.equal((await lmtp.command('RCPT TO:<alice@example.com>')).code, 250);
          assert.equal((await lmtp.command('DATA')).code, 354);
          const reply = await lmtp.command(`Subject: ${subject}\r\n\r\nsame connection, no new XFORWARD\r\n.`);
          assert.equal(reply.line, '250 2.0.0 <alice@example.com> Saved', 'the second transaction carries no identity: a new message, stored');
        }
        await lmtp.command('QUIT');
      } finally {
        lmtp.close();
      }
      assert.equal((await subjects('alice@example.com')).filter((s) => s === subject).length, 2);
    });

    it('delivers, without an identity, a message whose IDENT is not a queue id, and logs it', async () => {
      const subject = `bad ident ${backend}`;
      const lmtp = await SmtpDialogue.open(mta.ports.lmtp);
      try {
        await lmtp.command('LHLO mta.example.net');
        assert.equal((await lmtp.command('XFORWARD IDENT=not/a:queue*id')).code, 250);
        assert.equal((await lmtp.command('MAIL FROM:<sender@outside.test>')).code, 250);
        assert.equal((await lmtp.command('RCPT TO:<bob@example.com>')).code, 250);
        assert.equal((await lmtp.command('DATA')).code, 354);
        assert.equal((await lmtp.command(`Subject: ${subject}\r\n\r\nodd label\r\n.`)).line, '250 2.0.0 <bob@example.com> Saved');
      } finally {
        lmtp.close();
      }
      assert.equal((await subjects('bob@example.com')).filter((s) => s === subject).length, 1);
      await mta.waitForLog((line) => line['service'] === 'lmtp' && /XFORWARD IDENT "not\/a:queue\*id" is not a queue id: ignored/.test(String(line['msg'])));
    });

    it('still delivers from Python smtplib.LMTP, which sends no XFORWARD: each transaction stored', async () => {
      const subject = `smtplib ${backend}`;
      const out = await python<{ lhlo: [number, string]; data: [number, string][] }>(LMTP_SEND_TWICE, {
        port: mta.ports.lmtp,
        from: 'sender@outside.test',
        to: 'bob@example.com',
        message: `From: sender@outside.test\r\nTo: bob@example.com\r\nSubject: ${subject}\r\n\r\nNo XFORWARD here.\r\n`,
      });
      assert.equal(out.lhlo[0], 250);
      assert.match(out.lhlo[1], /XFORWARD/);
      assert.deepEqual(out.data.map(([code, text]) => [code, text]), [
        [250, '2.0.0 <bob@example.com> Saved'],
        [250, '2.0.0 <bob@example.com> Saved'],
      ]);
      assert.equal((await subjects('bob@example.com')).filter((s) => s === subject).length, 2);
    });

    it("refuses XFORWARD on the MTA's public ports (smtp and submission) and does not advertise it", async () => {
      for (const port of [mta.ports.smtp, mta.ports.submission]) {
        const smtp = await SmtpDialogue.open(port);
        const ehlo = await smtp.command('EHLO client.example.org');
        assert.equal(ehlo.code, 250);
        assert.ok(!ehlo.lines.some((line) => /XFORWARD/i.test(line)), ehlo.lines.join(' | '));
        const refused = await smtp.command('XFORWARD IDENT=FORGED1');
        assert.equal(Math.floor(refused.code / 100), 5, refused.line);
        smtp.close();
      }
    });
  });
}
