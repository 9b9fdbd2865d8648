// An alias with a local and a remote target reached through the mailstore's LMTP (Postfix feeding
// Postern's LMTP, SPEC §1): the local copy is stored, the remote copy leaves through the outbound
// queue — RFC 2033 §4.2: the 250 after the data means delivered, never dropped. And through the MTA,
// which expands aliases itself: still exactly one copy per target. Both store backends.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startMtaInstance, type MtaInstance } from '../mta/instance.js';
import { sendFromOutside } from '../outbound/outside.js';
import { freePort } from '../support/ports.js';
import { python } from '../support/python.js';
import { startRemoteSmtp, type ReceivedMessage, type RemoteSmtp } from '../support/remote-smtp.js';
import { requireTool, runTool } from '../support/tools.js';

const REMOTE_MX = '127.0.0.131';
// Longer than queue.queue_run_delay: a second copy would have left by then.
const SETTLE_MS = 2500;

const LMTP_SEND = `
import smtplib
lmtp = smtplib.LMTP('127.0.0.1', args['port'])
code, _ = lmtp.ehlo('postfix.example.net')
out['lhlo'] = code
code, text = lmtp.mail(args['from'])
out['mail'] = code
out['rcpt'] = [list(lmtp.rcpt(rcpt)) for rcpt in args['to']]
code, text = lmtp.data(args['message'].encode())
out['data'] = [code, text.decode()]
lmtp.quit()
out['rcpt'] = [[code, text.decode()] for code, text in out['rcpt']]
`;

function message(subject: string): string {
  return `From: sender@outside.test\r\nTo: team@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@outside.test>\r\n\r\nForwarded by an alias.\r\n`;
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`alias forwarding through the mailstore's LMTP on ${backend}`, { timeout: 120_000 }, () => {
    let mta: MtaInstance;
    let remote: RemoteSmtp;

    /** Messages the remote MX got whose Subject is `subject`. */
    const arrived = (subject: string): ReceivedMessage[] => remote.messages.filter((m) => m.message.toString('latin1').includes(`Subject: ${subject}\r\n`));
    const inboxSubjects = async (address: string): Promise<string[]> => (await mta.inbox(address)).map((m) => m.record.headers.subject ?? '');
    const waitArrived = async (subject: string, count: number): Promise<ReceivedMessage[]> => {
      for (let waited = 0; arrived(subject).length < count && waited < 15_000; waited += 100) await sleep(100);
      await sleep(SETTLE_MS);
      return arrived(subject);
    };

    before(async () => {
      const port = await freePort();
      remote = await startRemoteSmtp({ host: REMOTE_MX, port });
      mta = await startMtaInstance(backend, {
        settings: [
          ['smtp.port', String(port)],
          ['queue.queue_run_delay', '"1s"'],
        ],
        zone: { 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: [REMOTE_MX] } },
      });
      await mta.addUser('alice@example.com', 'forward test password');
      await mta.addUser('bob@example.com', 'forward test password');
      await mta.run(['alias', 'add', 'team@example.com', 'alice@example.com', 'carol@remote.test']);
      await mta.run(['alias', 'add', 'offsite@example.com', 'erin@remote.test']);
      // "Keep a copy and forward": the alias lists its own address.
      await mta.run(['alias', 'add', 'bob@example.com', 'bob@example.com', 'dave@remote.test']);
    });
    after(async () => {
      await mta?.stop();
      await remote?.stop();
    });

    it('Python smtplib.LMTP to an alias with a local and a remote target: 250, one copy in the mailbox, one at the remote through the queue', async () => {
      const subject = `lmtp team ${backend}`;
      const out = await python<{ lhlo: number; mail: number; rcpt: [number, string][]; data: [number, string] }>(LMTP_SEND, {
        port: mta.ports.lmtp,
        from: 'sender@outside.test',
        to: ['team@example.com', 'offsite@example.com'],
        message: message(subject),
      });
      assert.equal(out.lhlo, 250);
      assert.deepEqual(out.rcpt.map(([code]) => code), [250, 250]);
      // smtplib.LMTP reads the first of the per-recipient replies (RFC 2033 §4.2): team's.
      assert.equal(out.data[0], 250, out.data[1]);
      const copies = await waitArrived(subject, 1);
      assert.deepEqual(copies.map((m) => m.recipients).sort(), [['carol@remote.test', 'erin@remote.test']], 'one queue entry, each target once');
      // SRS: the forward leaves from SRS0=HHHH=TT=outside.test=sender@example.com (test/outbound/srs.test.ts).
      assert.match(copies[0]!.mailFrom, /^SRS0=[^=]{4}=[A-Z2-7]{2}=outside\.test=sender@example\.com$/);
      assert.deepEqual((await inboxSubjects('alice@example.com')).filter((s) => s === subject), [subject]);
      const queued = await mta.waitForLog((line) => line['service'] === 'lmtp' && line['rcpt'] === 'offsite@example.com' && typeof line['queue_id'] === 'string');
      assert.match(String(queued['msg']), /forwarded to erin@remote\.test \(queued as /);
    });

    it("Postfix's smtp-source -L to the alias: each LMTP 250 gives one remote copy and one local copy", async (t) => {
      const smtpSource = requireTool(t, 'smtp-source', 'postfix');
      if (!smtpSource) return;
      const before = (await mta.inbox('alice@example.com')).length;
      const remoteBefore = remote.messages.length;
      const result = await runTool(smtpSource, ['-L', '-m', '3', '-f', 'sender@outside.test', '-t', 'team@example.com', `127.0.0.1:${mta.ports.lmtp}`]);
      assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
      for (let waited = 0; remote.messages.length < remoteBefore + 3 && waited < 15_000; waited += 100) await sleep(100);
      await sleep(SETTLE_MS);
      const forwarded = remote.messages.slice(remoteBefore);
      assert.equal(forwarded.length, 3);
      assert.ok(forwarded.every((m) => m.recipients.length === 1 && m.recipients[0] === 'carol@remote.test'));
      assert.equal((await mta.waitForInbox('alice@example.com', before + 3)).length, before + 3);
    });

    it('through the MTA (which expands the alias itself): one copy per remote target, including an alias that lists itself', async () => {
      for (const to of ['team@example.com', 'bob@example.com']) {
        const reply = await sendFromOutside(mta, 'sender@outside.test', message(`mta ${to} ${backend}`), to);
        assert.equal(reply.code, 250, reply.line);
      }
      const team = await waitArrived(`mta team@example.com ${backend}`, 1);
      assert.deepEqual(team.map((m) => m.recipients), [['carol@remote.test']]);
      const bob = await waitArrived(`mta bob@example.com ${backend}`, 1);
      assert.deepEqual(bob.map((m) => m.recipients), [['dave@remote.test']]);
      assert.deepEqual((await inboxSubjects('alice@example.com')).filter((s) => s === `mta team@example.com ${backend}`).length, 1);
      assert.deepEqual((await inboxSubjects('bob@example.com')).filter((s) => s === `mta bob@example.com ${backend}`).length, 1);
    });
  });
}
