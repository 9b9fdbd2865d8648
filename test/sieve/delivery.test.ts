// Sieve at delivery through `postern start` on both backends: scripts put with the CLI or uploaded
// over ManageSieve decide each message's fate — fileinto with flags (seen over IMAP), discard,
// redirect to a remote MX through the queue, reject (LMTP 550 / a bounce), vacation once per
// sender per period and never to a list or the null sender — and a failing script still keeps.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { startMtaInstance, type MtaInstance } from '../mta/instance.js';
import { sendFromOutside } from '../outbound/outside.js';
import { literal, ManageSieveClient } from '../support/managesieve-client.js';
import { freePort } from '../support/ports.js';
import { python } from '../support/python.js';
import { startRemoteSmtp, type ReceivedMessage, type RemoteSmtp } from '../support/remote-smtp.js';

const REMOTE_MX = '127.0.0.133';
const PASSWORD = 'sieve delivery password';

const LMTP_SEND = `
import smtplib
lmtp = smtplib.LMTP('127.0.0.1', args['port'])
lmtp.ehlo('postfix.example.net')
lmtp.mail(args['from'])
lmtp.rcpt(args['to'])
code, text = lmtp.data(args['message'].encode())
out['data'] = [code, text.decode()]
lmtp.quit()
`;

function message(subject: string, options: { from?: string; to?: string; headers?: string[] } = {}): string {
  const id = `${subject.replace(/\W/g, '')}.${Date.now()}.${Math.random().toString(36).slice(2)}@remote.test`;
  return [`From: ${options.from ?? 'sender@remote.test'}`, `To: ${options.to ?? 'alice@example.com'}`, `Subject: ${subject}`, `Message-ID: <${id}>`, ...(options.headers ?? []), '', 'Body text.', ''].join('\r\n');
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`Sieve at delivery through postern start on ${backend}`, { timeout: 180_000 }, () => {
    let mta: MtaInstance;
    let remote: RemoteSmtp;

    const arrived = (predicate: (m: ReceivedMessage) => boolean): ReceivedMessage[] => remote.messages.filter(predicate);
    const waitFor = async (predicate: (m: ReceivedMessage) => boolean, count = 1): Promise<ReceivedMessage[]> => {
      for (let waited = 0; arrived(predicate).length < count && waited < 20_000; waited += 100) await sleep(100);
      return arrived(predicate);
    };
    const text = (m: ReceivedMessage): string => m.message.toString('utf8');
    const subjects = async (address: string, mailbox = 'INBOX'): Promise<string[]> => (await mta.inbox(address, mailbox)).map((m) => m.record.headers.subject ?? '');

    /** `postern sieve put USER NAME FILE --activate`. */
    async function activate(address: string, name: string, script: string): Promise<void> {
      const file = join(mta.instance.dir, `${name}.sieve`);
      writeFileSync(file, script);
      await mta.run(['sieve', 'put', address, name, file, '--activate']);
    }

    before(async () => {
      const port = await freePort();
      remote = await startRemoteSmtp({ host: REMOTE_MX, port });
      mta = await startMtaInstance(backend, {
        settings: [
          ['smtp.port', String(port)],
          ['queue.queue_run_delay', '"1s"'],
          ['sieve.redirects_per_day', '2'],
        ],
        zone: { 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: [REMOTE_MX] } },
      });
      for (const user of ['alice', 'bob', 'carol', 'dave', 'erin']) await mta.addUser(`${user}@example.com`, PASSWORD);
    });
    after(async () => {
      await mta?.stop();
      await remote?.stop();
    });

    it('a user uploads a script over ManageSieve and the next delivery follows it: fileinto :create with flags, seen over IMAP', async () => {
      const client = await ManageSieveClient.connect(mta.ports.managesieve);
      try {
        assert.equal((await client.response()).kind, 'OK');
        assert.equal((await client.startTls()).capabilities.kind, 'OK');
        assert.equal((await client.authenticate('alice@example.com', PASSWORD)).kind, 'OK');
        const script = 'require ["fileinto", "imap4flags", "mailbox"];\nif header :contains "List-Id" "dev.lists.example.org" {\n  fileinto :create :flags ["\\\\Flagged", "$Dev"] "Lists/dev";\n}\n';
        assert.equal((await client.command(`PUTSCRIPT "lists" ${literal(script)}`)).kind, 'OK');
        assert.equal((await client.command('SETACTIVE "lists"')).kind, 'OK');
        await client.command('LOGOUT');
      } finally {
        client.destroy();
      }
      const reply = await sendFromOutside(mta, 'sender@remote.test', message('list post', { headers: ['List-Id: Dev list <dev.lists.example.org>'] }));
      assert.equal(reply.code, 250, reply.line);
      const plain = await sendFromOutside(mta, 'sender@remote.test', message('personal'));
      assert.equal(plain.code, 250, plain.line);
      await mta.waitForLog((line) => line['service'] === 'lmtp' && line['mailbox'] === 'Lists/dev');
      await mta.waitForInbox('alice@example.com', 1);
      const imap = new ImapFlow({ host: '127.0.0.1', port: mta.ports.imap, secure: false, doSTARTTLS: true, auth: { user: 'alice@example.com', pass: PASSWORD }, logger: false, tls: { rejectUnauthorized: false } });
      imap.on('error', () => {});
      await imap.connect();
      try {
        const lock = await imap.getMailboxLock('Lists/dev');
        try {
          const fetched = [];
          for await (const m of imap.fetch('1:*', { envelope: true, flags: true })) fetched.push(m);
          assert.deepEqual(fetched.map((m) => m.envelope?.subject), ['list post']);
          assert.ok(fetched[0]?.flags?.has('\\Flagged'), 'the :flags of fileinto are set');
          assert.ok(fetched[0]?.flags?.has('$Dev'));
        } finally {
          lock.release();
        }
      } finally {
        await imap.logout();
      }
      assert.deepEqual(await subjects('alice@example.com'), ['personal'], 'the other message is kept in INBOX');
    });

    it('discard: 250 to the sender, nothing stored', async () => {
      await activate('bob@example.com', 'discard', 'if header :contains "Subject" "newsletter" { discard; }\n');
      const reply = await sendFromOutside(mta, 'sender@remote.test', message('weekly newsletter', { to: 'bob@example.com' }), 'bob@example.com');
      assert.equal(reply.code, 250, reply.line);
      await mta.waitForLog((line) => line['event'] === 'sieve_discard' && line['user'] === 'bob@example.com');
      assert.deepEqual(await subjects('bob@example.com'), []);
    });

    it('redirect: the message leaves through the queue to the remote MX from the SRS form of the envelope sender (RFC 5228 §4.2), up to the daily limit, then is kept', async () => {
      await activate('carol@example.com', 'redirect', 'redirect "carol.elsewhere@remote.test";\n');
      for (const n of [1, 2, 3]) {
        const reply = await sendFromOutside(mta, 'sender@remote.test', message(`redirect me ${n}`, { to: 'carol@example.com' }), 'carol@example.com');
        assert.equal(reply.code, 250, reply.line);
      }
      const redirected = await waitFor((m) => m.recipients.includes('carol.elsewhere@remote.test'), 2);
      assert.deepEqual(redirected.map((m) => /Subject: (.*)\r\n/.exec(text(m))?.[1]).sort(), ['redirect me 1', 'redirect me 2']);
      // The sender is of another domain: SRS0=HHHH=TT=remote.test=sender@example.com (test/outbound/srs.test.ts).
      assert.ok(redirected.every((m) => /^SRS0=[^=]{4}=[A-Z2-7]{2}=remote\.test=sender@example\.com$/.test(m.mailFrom)), redirected.map((m) => m.mailFrom).join(' '));
      assert.match(text(redirected[0]!), /^Delivered-To: carol@example\.com\r\n/m, 'Delivered-To goes along: the next hop can see a loop');
      assert.doesNotMatch(text(redirected[0]!), /^Return-Path:/m);
      await mta.waitForLog((line) => line['event'] === 'sieve_redirect_limit' && line['user'] === 'carol@example.com');
      assert.deepEqual(await subjects('carol@example.com'), ['redirect me 3'], 'past sieve.redirects_per_day the message is kept');
    });

    it('reject: the LMTP recipient gets 550 5.7.1 with the reason (RFC 5429 §2.1.1); through the MTA the sender gets a bounce', async () => {
      await activate('dave@example.com', 'reject', 'require "reject";\nif header :contains "Subject" "offer" { reject "I do not want offers"; }\n');
      const out = await python<{ data: [number, string] }>(LMTP_SEND, { port: mta.ports.lmtp, from: 'sender@remote.test', to: 'dave@example.com', message: message('an offer', { to: 'dave@example.com' }) });
      assert.equal(out.data[0], 550);
      assert.match(out.data[1], /5\.7\.1 .*I do not want offers/);
      const reply = await sendFromOutside(mta, 'bouncee@remote.test', message('another offer', { from: 'bouncee@remote.test', to: 'dave@example.com' }), 'dave@example.com');
      assert.equal(reply.code, 250, reply.line);
      const bounces = await waitFor((m) => m.mailFrom === '' && m.recipients.includes('bouncee@remote.test'));
      assert.equal(bounces.length, 1);
      assert.match(text(bounces[0]!), /I do not want offers/);
      assert.deepEqual(await subjects('dave@example.com'), []);
    });

    it('vacation (postern vacation on): one reply per sender per period from the null sender, never to a list or the null sender', async () => {
      await mta.run(['vacation', 'on', 'erin@example.com', '--subject', 'Out of office', '--days', '3', '--message', 'Back on Monday.']);
      const first = message('question 1', { from: 'asker@remote.test', to: 'erin@example.com' });
      for (const content of [first, message('question 2', { from: 'asker@remote.test', to: 'erin@example.com' })]) {
        const reply = await sendFromOutside(mta, 'asker@remote.test', content, 'erin@example.com');
        assert.equal(reply.code, 250, reply.line);
      }
      const listPost = await sendFromOutside(mta, 'list-bounces@remote.test', message('list traffic', { from: 'list@remote.test', to: 'erin@example.com', headers: ['List-Id: <talk.remote.test>', 'Precedence: list'] }), 'erin@example.com');
      assert.equal(listPost.code, 250, listPost.line);
      const nullSender = await sendFromOutside(mta, '', message('a notice', { from: 'daemon@remote.test', to: 'erin@example.com' }), 'erin@example.com');
      assert.equal(nullSender.code, 250, nullSender.line);
      await mta.waitForInbox('erin@example.com', 4);
      const replies = await waitFor((m) => m.recipients.includes('asker@remote.test'));
      await sleep(2500);
      assert.equal(arrived((m) => m.recipients.includes('asker@remote.test')).length, 1, 'once per sender per period');
      const answer = text(replies[0]!);
      assert.equal(replies[0]!.mailFrom, '', 'RFC 5230 §5.1: the null envelope sender');
      assert.match(answer, /^Subject: Out of office\r\n/m);
      assert.match(answer, /^Auto-Submitted: auto-replied/m);
      assert.match(answer, new RegExp(`^In-Reply-To: ${/Message-ID: (<[^>]+>)/.exec(first)![1]!.replace(/[.+]/g, '\\$&')}\r\n`, 'm'));
      assert.match(answer, /^To: <asker@remote\.test>\r\n/m);
      assert.match(answer, /Back on Monday\./);
      assert.equal(arrived((m) => m.recipients.includes('list-bounces@remote.test') || m.recipients.includes('list@remote.test')).length, 0, 'never to a list');
      assert.equal(arrived((m) => m.recipients.includes('daemon@remote.test')).length, 0, 'never to the null sender');
      await mta.run(['vacation', 'off', 'erin@example.com']);
      assert.equal(await mta.store.getActiveSieveScript((await mta.store.getUser('erin@example.com'))!.id), null);
    });

    it('a script that explodes its action budget, or one stored broken, still ends in keep with a log line', async () => {
      const many = `require "fileinto";\n${Array.from({ length: 200 }, (_, i) => `fileinto :copy "Folder${i}";`).join('\n')}\n`.replace('require "fileinto";', 'require ["fileinto", "copy"];');
      await activate('alice@example.com', 'budget', many);
      let reply = await sendFromOutside(mta, 'sender@remote.test', message('over budget'));
      assert.equal(reply.code, 250, reply.line);
      await mta.waitForLog((line) => line['event'] === 'sieve_error' && line['user'] === 'alice@example.com');
      assert.ok((await subjects('alice@example.com')).includes('over budget'));
      // A script stored before a stricter Postern (straight into the store, past the compile check).
      const alice = (await mta.store.getUser('alice@example.com'))!;
      await mta.store.putSieveScript(alice.id, 'broken', 'this is not sieve');
      await mta.store.setActiveSieveScript(alice.id, 'broken');
      reply = await sendFromOutside(mta, 'sender@remote.test', message('broken script'));
      assert.equal(reply.code, 250, reply.line);
      await mta.waitForLog((line) => line['event'] === 'sieve_error' && line['script'] === 'broken');
      for (let waited = 0; !(await subjects('alice@example.com')).includes('broken script') && waited < 5000; waited += 100) await sleep(100);
      assert.ok((await subjects('alice@example.com')).includes('broken script'));
    });

    it('the shipped sieve_before still files X-Spam-Flag: YES into \\Junk while bob has his own script', async () => {
      const reply = await sendFromOutside(mta, 'sender@remote.test', message('flagged', { to: 'bob@example.com', headers: ['X-Spam-Flag: YES'] }), 'bob@example.com');
      assert.equal(reply.code, 250, reply.line);
      for (let waited = 0; !(await subjects('bob@example.com', 'Junk')).includes('flagged') && waited < 5000; waited += 100) await sleep(100);
      assert.deepEqual(await subjects('bob@example.com', 'Junk'), ['flagged']);
    });
  });
}
