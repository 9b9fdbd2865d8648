// SRS (the Sender Rewriting Scheme, as postsrsd and libsrs2 write it) end to end through `postern start`
// with a local DNS server: mail an alias or a Sieve redirect forwards off-site leaves from
// SRS0=HHHH=TT=origdomain=user@example.com (SPF passes for our host where the original sender's
// fails); the final destination's 550 comes back as our bounce to that address, which Postern
// checks and returns to the original sender's MX; forged, expired and foreign-key SRS addresses
// are refused 550 5.1.1; mail between local addresses and our users' own mail keep their sender.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { srsForward } from '@postern/address';
import { createResolver } from '@postern/dns';
import { authenticate } from 'mailauth';
import nodemailer from 'nodemailer';
import { startMtaInstance, type MtaInstance } from '../mta/instance.js';
import { freePort } from '../support/ports.js';
import { startRemoteSmtp, type ReceivedMessage, type Refusal, type RemoteSmtp } from '../support/remote-smtp.js';
import { OUTSIDE, sendFromOutside } from './outside.js';

/** The final destination of the forwards (remote.test). */
const REMOTE_MX = '127.0.0.141';
/** The original sender's MX (sender.test): where a reversed bounce must arrive. */
const SENDER_MX = '127.0.0.142';
const PASSWORD = 'srs test password';
const DAY_MS = 86_400_000;
/** SRS0=HHHH=TT=sender.test=news@example.com: four base64 hash characters, two base32 timestamp ones. */
const SRS0_NEWS = /^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=sender\.test=news@example\.com$/;

function message(subject: string, to: string): string {
  return `From: News <news@sender.test>\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${Date.now()}.${Math.random()}@sender.test>\r\nDate: Mon, 07 Dec 2026 07:00:00 +0000\r\n\r\n${subject}\r\n`;
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`SRS for forwarded mail on ${backend}`, { timeout: 240_000 }, () => {
    let mta: MtaInstance;
    let remote: RemoteSmtp;
    let senderMx: RemoteSmtp;
    const refusals: Record<string, Refusal> = {};
    let secret: string;

    const arrived = async (at: RemoteSmtp, predicate: (m: ReceivedMessage) => boolean): Promise<ReceivedMessage> => {
      for (let waited = 0; waited < 20_000; waited += 50) {
        const found = at.messages.find(predicate);
        if (found) return found;
        await sleep(50);
      }
      throw new Error(`nothing matching arrived at ${at.host}; it has ${at.messages.length} messages`);
    };
    const subject = (m: ReceivedMessage, text: string): boolean => m.message.toString('utf8').includes(`Subject: ${text}\r\n`);
    const resolver = () => createResolver({ servers: [mta.dns.address], timeoutMs: 1000 }).mailauthResolver() as never;

    before(async () => {
      const port = await freePort();
      remote = await startRemoteSmtp({ host: REMOTE_MX, port, refuseRecipients: refusals });
      senderMx = await startRemoteSmtp({ host: SENDER_MX, port });
      mta = await startMtaInstance(backend, {
        settings: [
          ['smtp.port', String(port)],
          ['queue.queue_run_delay', '"1s"'],
        ],
        zone: {
          'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] },
          'mx.remote.test': { A: [REMOTE_MX] },
          'sender.test': { MX: [{ exchange: 'mx.sender.test', priority: 10 }], TXT: [`v=spf1 ip4:${OUTSIDE} -all`] },
          'mx.sender.test': { A: [SENDER_MX] },
          // Our host: the SRS domain's SPF record names it.
          'example.com': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
        },
      });
      await mta.addUser('alice@example.com', PASSWORD);
      await mta.addUser('dave@example.com', PASSWORD);
      await mta.run(['alias', 'add', 'fwd@example.com', 'carol@remote.test']);
      await mta.run(['alias', 'add', 'both@example.com', 'alice@example.com', 'carol@remote.test']);
      await mta.run(['alias', 'add', 'team@example.com', 'alice@example.com']);
      await mta.run(['alias', 'add', 'gone@example.com', 'nobody@remote.test']);
      const file = join(mta.instance.dir, 'data', 'srs.secret');
      secret = readFileSync(file, 'utf8').trim();
      assert.equal(statSync(file).mode & 0o777, 0o600, 'the secret made at the first start is readable by its owner only');
      assert.ok(Buffer.from(secret, 'base64').length >= 32, 'random bytes, never a constant');
    });
    after(async () => {
      await mta?.stop();
      await remote?.stop();
      await senderMx?.stop();
    });

    it('an alias forwarding off-site sends MAIL FROM SRS0=…@example.com, whose SPF passes for our host where the original sender\'s fails', async () => {
      const reply = await sendFromOutside(mta, 'news@sender.test', message('forward me', 'fwd@example.com'), 'fwd@example.com');
      assert.equal(reply.code, 250, reply.line);
      const forwarded = await arrived(remote, (m) => subject(m, 'forward me'));
      assert.deepEqual(forwarded.recipients, ['carol@remote.test']);
      assert.match(forwarded.mailFrom, SRS0_NEWS);
      const spf = async (sender: string) => (await authenticate(forwarded.message, { ip: '127.0.0.1', helo: 'mail.example.com', sender, mta: 'mx.remote.test', resolver: resolver() })).spf;
      const rewritten = await spf(forwarded.mailFrom);
      assert.ok(rewritten);
      assert.equal(rewritten.status.result, 'pass', JSON.stringify(rewritten.status));
      const original = await spf('news@sender.test');
      assert.ok(original);
      assert.equal(original.status.result, 'fail', 'without SRS the forward fails SPF');
    });

    it('the final destination refuses 550: our bounce goes to the SRS address, is reversed and reaches the original sender\'s MX', async () => {
      refusals['nobody@remote.test'] = [550, '5.1.1 <nobody@remote.test>: Recipient address rejected: User unknown'];
      const reply = await sendFromOutside(mta, 'news@sender.test', message('will bounce', 'gone@example.com'), 'gone@example.com');
      assert.equal(reply.code, 250, reply.line);
      await mta.waitForLog((line) => line['event'] === 'bounce' && SRS0_NEWS.test(String(line['to'])), 20_000);
      const bounce = await arrived(senderMx, (m) => m.recipients.includes('news@sender.test'));
      assert.equal(bounce.mailFrom, '', 'a bounce keeps the null sender (RFC 5321 §4.5.5)');
      const text = bounce.message.toString('utf8');
      assert.match(text, /Content-Type: multipart\/report; report-type=delivery-status/i);
      assert.match(text, /Final-Recipient: rfc822; ?nobody@remote\.test/i);
      assert.match(text, /Subject: will bounce/);
    });

    it('a genuine SRS address is accepted from any sender (as postsrsd reverses whatever the sender) and relayed to the original sender', async () => {
      const address = srsForward('news@sender.test', { secrets: [secret], domain: 'example.com' });
      const reply = await sendFromOutside(mta, '', message('a late bounce', address), address);
      assert.equal(reply.code, 250, reply.line);
      const returned = await arrived(senderMx, (m) => subject(m, 'a late bounce'));
      assert.deepEqual(returned.recipients, ['news@sender.test']);
      const fromAnyone = await sendFromOutside(mta, 'someone@sender.test', message('a reply to the SRS sender', address), address);
      assert.equal(fromAnyone.code, 250, fromAnyone.line);
      await arrived(senderMx, (m) => subject(m, 'a reply to the SRS sender'));
    });

    it('forged, expired and foreign-key SRS addresses are refused 550 5.1.1 and logged, never relayed', async () => {
      const genuine = srsForward('news@sender.test', { secrets: [secret], domain: 'example.com' });
      const hash = genuine.split('=')[1]!;
      const forged = genuine.replace(`=${hash}=`, `=${hash === 'AAAA' ? 'BBBB' : 'AAAA'}=`);
      const expired = srsForward('news@sender.test', { secrets: [secret], domain: 'example.com', now: () => new Date(Date.now() - 30 * DAY_MS) });
      const foreignKey = srsForward('news@sender.test', { secrets: ['a key that is not ours at all'], domain: 'example.com' });
      const cases: [string, RegExp][] = [
        [forged, /hash does not match/],
        [expired, /expired 30 days/],
        [foreignKey, /hash does not match/],
        ['SRS0=xyz@example.com', /not an SRS address/],
      ];
      for (const [address, reason] of cases) {
        const reply = await sendFromOutside(mta, '', message('forged', address), address);
        assert.equal(reply.code, 550, `${address}: ${reply.line}`);
        assert.match(reply.line, /^550 5\.1\.1 .*invalid SRS address/, reply.line);
        assert.match(reply.line, reason, reply.line);
        await mta.waitForLog((line) => line['event'] === 'reject' && line['to'] === address && line['stage'] === 'srs');
      }
    });

    it('a Sieve redirect to another domain leaves from the SRS address too', async () => {
      const file = join(mta.instance.dir, 'redirect.sieve');
      writeFileSync(file, 'redirect "dave.elsewhere@remote.test";\n');
      await mta.run(['sieve', 'put', 'dave@example.com', 'redirect', file, '--activate']);
      const reply = await sendFromOutside(mta, 'news@sender.test', message('redirect me', 'dave@example.com'), 'dave@example.com');
      assert.equal(reply.code, 250, reply.line);
      const redirected = await arrived(remote, (m) => subject(m, 'redirect me'));
      assert.deepEqual(redirected.recipients, ['dave.elsewhere@remote.test']);
      assert.match(redirected.mailFrom, SRS0_NEWS);
    });

    it('local targets keep the original sender: a local alias, the local half of a mixed alias, and our own user\'s mail forwarded off-site', async () => {
      assert.equal((await sendFromOutside(mta, 'news@sender.test', message('to the team', 'team@example.com'), 'team@example.com')).code, 250);
      assert.equal((await sendFromOutside(mta, 'news@sender.test', message('to both', 'both@example.com'), 'both@example.com')).code, 250);
      const inbox = await mta.waitForInbox('alice@example.com', 2, 20_000);
      for (const wanted of ['to the team', 'to both']) {
        const stored = inbox.find((m) => m.record.headers.subject === wanted);
        assert.ok(stored, `${wanted} in alice's INBOX`);
        assert.match(stored.raw, /^Return-Path: <news@sender\.test>\r\n/, `${wanted}: the local copy keeps the original sender`);
      }
      const offsite = await arrived(remote, (m) => subject(m, 'to both'));
      assert.match(offsite.mailFrom, SRS0_NEWS, 'the off-site half of the same message is rewritten');

      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mta.ports.submission, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: PASSWORD } });
      try {
        await transport.sendMail({ from: 'alice@example.com', to: 'fwd@example.com', subject: 'from our own user', text: 'hi' });
      } finally {
        transport.close();
      }
      const own = await arrived(remote, (m) => subject(m, 'from our own user'));
      assert.equal(own.mailFrom, 'alice@example.com');
    });
  });
}
