// Outbound and trust end to end: `postern start` with a local DNS server and
// remote MX hosts played by smtp-server on 127.0.0.x. A user's submission
// leaves DKIM-signed through MX, a remote refusal comes back as a bounce,
// inbound mail from outside carries truthful Authentication-Results with the
// DMARC policy applied, forwarding seals ARC, and the queue is administered
// with `postern queue`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateDkimKey } from '@postern/dkim';
import { dkimTxtRecord } from '@postern/dkim';
import { createResolver } from '@postern/dns';
import type { QueueEntry, QueueId } from '@postern/store';
import { authenticate, dkimSign } from 'mailauth';
import nodemailer from 'nodemailer';
import type { ZoneRecords } from '../support/dns-server.js';
import { freePort } from '../support/ports.js';
import { python } from '../support/python.js';
import { requireTool } from '../support/tools.js';
import { startRemoteSmtp, type Refusal, type RemoteSmtp } from '../support/remote-smtp.js';
import { startMtaInstance, type MtaInstance } from '../mta/instance.js';
import { OUTSIDE, sendFromOutside } from './outside.js';

const REMOTE_MX = '127.0.0.121';
const BACKUP_MX = '127.0.0.122';
const PASSWORD = 'outbound test password';

/** A message from outside, DKIM-signed by `signer` when given. */
async function outsideMessage(from: string, subject: string, signer?: { domain: string; selector: string; privateKey: string }): Promise<string> {
  const raw = `From: ${from}\r\nTo: alice@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${Date.now()}.${Math.random()}@outside.test>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nHello from outside.\r\n`;
  if (!signer) return raw;
  // mailauth 4.13.3 signs with `signatureData` (its typings name only the single-signature fields).
  const options = { canonicalization: 'relaxed/relaxed', signatureData: [{ signingDomain: signer.domain, selector: signer.selector, privateKey: signer.privateKey }] };
  const signed = await dkimSign(raw, options as unknown as Parameters<typeof dkimSign>[1]);
  return signed.signatures + raw;
}

function header(raw: string, name: string): string[] {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n') + 2).replace(/\r\n[ \t]+/g, ' ');
  return head
    .split('\r\n')
    .filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((line) => line.slice(name.length + 1).trim());
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`outbound and inbound trust on ${backend}`, { timeout: 240_000 }, () => {
    let mta: MtaInstance;
    let remote: RemoteSmtp;
    // What the remote MX refuses at RCPT, changed by the tests as they go.
    const refusals: Record<string, Refusal> = {};
    let backup: RemoteSmtp;
    const outsider = generateDkimKey('rsa');
    let zone: ZoneRecords;

    before(async () => {
      const port = await freePort();
      remote = await startRemoteSmtp({ host: REMOTE_MX, port, refuseRecipients: refusals });
      backup = await startRemoteSmtp({ host: BACKUP_MX, port });
      mta = await startMtaInstance(backend, {
        settings: [
          ['smtp.port', String(port)],
          ['queue.queue_run_delay', '"1s"'],
          ['queue.minimal_backoff_time', '"1h"'],
        ],
      });
      await mta.addUser('alice@example.com', PASSWORD);
      await mta.run(['alias', 'add', 'fwd@example.com', 'carol@remote.test']);
      const keys = await mta.store.listDkimKeys('example.com');
      assert.ok(keys.length > 0, 'postern init made a DKIM key');
      zone = {
        'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] },
        'mx.remote.test': { A: [REMOTE_MX] },
        // An MX whose first host refuses connections: delivery falls back to the next preference.
        'fallback.test': { MX: [{ exchange: 'dead.fallback.test', priority: 5 }, { exchange: 'mx2.fallback.test', priority: 20 }] },
        'dead.fallback.test': { A: ['127.0.0.123'] },
        'mx2.fallback.test': { A: [BACKUP_MX] },
        'nullmx.test': { MX: [{ exchange: '', priority: 0 }] },
        'example.com': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
        ...Object.fromEntries(keys.map((key) => {
          const record = dkimTxtRecord(key.domain, key.selector, key.algorithm, key.publicKey);
          return [record.name, { TXT: [record.value] }];
        })),
        // Outside senders: SPF for the outside client address, DKIM and DMARC records.
        'good.test': { TXT: [`v=spf1 ip4:${OUTSIDE} -all`] },
        'sel._domainkey.good.test': { TXT: [`v=DKIM1; k=rsa; p=${outsider.publicKey}`] },
        '_dmarc.good.test': { TXT: ['v=DMARC1; p=reject'] },
        'reject.test': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
        '_dmarc.reject.test': { TXT: ['v=DMARC1; p=reject'] },
        'quarantine.test': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
        '_dmarc.quarantine.test': { TXT: ['v=DMARC1; p=quarantine'] },
        'soft.test': { TXT: [`v=spf1 ip4:192.0.2.1 ~all`] },
        'broken.test': { SERVFAIL: true },
        '_dmarc.broken.test': { SERVFAIL: true },
      };
      mta.dns.set(zone);
    });
    after(async () => {
      await mta?.stop();
      await remote?.stop();
      await backup?.stop();
    });

    const resolver = () => createResolver({ servers: [mta.dns.address], timeoutMs: 1000 }).mailauthResolver() as never;

    const submit = async (to: string, subject: string): Promise<void> => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mta.ports.submission, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: PASSWORD } });
      try {
        await transport.sendMail({ from: 'Alice <alice@example.com>', to, subject, text: `Sent to ${to}.` });
      } finally {
        transport.close();
      }
    };

    it('mail a user submits leaves through the MX, DKIM-signed for example.com (mailauth verifies it)', async () => {
      await submit('bob@remote.test', 'signed outbound');
      const [delivered] = await remote.waitFor(1);
      assert.deepEqual(delivered!.recipients, ['bob@remote.test']);
      assert.equal(delivered!.mailFrom, 'alice@example.com');
      const result = await authenticate(delivered!.message, { ip: '127.0.0.1', helo: 'mail.example.com', sender: 'alice@example.com', mta: 'mx.remote.test', resolver: resolver() });
      const pass = result.dkim.results.filter((r) => r.status.result === 'pass');
      assert.ok(pass.some((r) => r.signingDomain === 'example.com'), `DKIM pass for example.com: ${JSON.stringify(result.dkim.results.map((r) => r.status))}`);
      assert.equal(result.spf && result.spf.status.result, 'pass');
      assert.equal(result.dmarc && result.dmarc.status.result, 'none', 'example.com publishes no DMARC record here');
      // Delivered entries leave the queue.
      await mta.waitForLog((line) => line.event === 'removed' || (line.event === 'delivery' && line.to === 'bob@remote.test' && line.status === 'sent'));
      for (let i = 0; i < 50 && (await mta.store.listQueue()).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await mta.store.listQueue(), []);
    });

    it('falls back to the next MX when the preferred one refuses connections', async () => {
      await submit('dora@fallback.test', 'fallback mx');
      const [delivered] = await backup.waitFor(1);
      assert.deepEqual(delivered!.recipients, ['dora@fallback.test']);
    });

    it('a remote 5xx comes back to the sender as an RFC 3464 bounce with the remote reply', async () => {
      refusals['nobody@remote.test'] = [550, '5.1.1 <nobody@remote.test>: no such user here'];
      await submit('nobody@remote.test', 'will bounce');
      const inbox = await mta.waitForInbox('alice@example.com', 1, 20_000);
      const bounce = inbox.map((m) => m.raw).find((raw) => /report-type="?delivery-status/i.test(raw));
      assert.ok(bounce, `a DSN in alice's INBOX: ${inbox.map((m) => header(m.raw, 'Subject')).join(' | ')}`);
      assert.match(bounce, /Final-Recipient: rfc822; ?nobody@remote\.test/i);
      assert.match(bounce, /Action: failed/i);
      assert.match(bounce, /Status: 5\.1\.1/);
      assert.match(bounce, /550 5\.1\.1 <nobody@remote\.test>: no such user here/);
      assert.match(bounce, /Subject: will bounce/, 'the original message is returned');
      assert.deepEqual(header(bounce, 'Return-Path'), ['<>'], 'bounces have the null sender');
    });

    it('DSN parameters from Python smtplib (NOTIFY, ORCPT, RET, ENVID) reach the queue: a relayed report, no bounce for NOTIFY=NEVER', async (t) => {
      if (!requireTool(t, 'python3', 'python3')) return;
      refusals['quiet@remote.test'] = [550, '5.1.1 <quiet@remote.test>: no such user here'];
      const before = (await mta.inbox('alice@example.com')).length;
      const out = await python<{ refused: Record<string, unknown>; ehlo: string }>(
        `
import smtplib
s = smtplib.SMTP('127.0.0.1', args['submission'], timeout=20)
s.starttls(context=tls)
s.ehlo('client.example.com')
out['ehlo'] = s.ehlo_resp.decode()
s.login('alice@example.com', args['password'])
body = 'From: alice@example.com\\r\\nTo: dsn@remote.test\\r\\nSubject: dsn from smtplib\\r\\n\\r\\nplease report\\r\\n'
out['refused'] = s.sendmail('alice@example.com', ['dsn@remote.test', 'quiet@remote.test'], body,
    mail_options=['RET=HDRS', 'ENVID=env-42'],
    rcpt_options=['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;dsn@remote.test'])
s.quit()
`,
        { submission: mta.ports.submission, password: PASSWORD },
      );
      assert.match(out.ehlo, /\bDSN\b/);
      assert.deepEqual(out.refused, {});
      // smtplib gives one set of RCPT options to every recipient: make quiet@ NOTIFY=NEVER by a second message.
      const never = await python<{ refused: Record<string, unknown> }>(
        `
import smtplib
s = smtplib.SMTP('127.0.0.1', args['submission'], timeout=20)
s.starttls(context=tls)
s.login('alice@example.com', args['password'])
out['refused'] = s.sendmail('alice@example.com', ['quiet@remote.test'], 'Subject: never tell\\r\\n\\r\\nx\\r\\n', rcpt_options=['NOTIFY=NEVER'])
s.quit()
`,
        { submission: mta.ports.submission, password: PASSWORD },
      );
      assert.deepEqual(never.refused, {});
      // The remote does not advertise DSN: we report "relayed" for dsn@ (RFC 3461 §5.2.2) and the failure for quiet@.
      let reports: string[] = [];
      for (let i = 0; i < 200 && reports.length < 2; i++) {
        reports = (await mta.inbox('alice@example.com')).slice(before).map((m) => m.raw).filter((raw) => /Original-Envelope-Id: env-42/i.test(raw));
        if (reports.length < 2) await new Promise((r) => setTimeout(r, 100));
      }
      const relayed = reports.find((raw) => /Action: relayed/i.test(raw));
      assert.ok(relayed, `a relayed report: ${reports.length} reports`);
      assert.match(relayed, /Original-Recipient: rfc822; ?dsn@remote\.test/i);
      const failed = reports.find((raw) => /Action: failed/i.test(raw));
      assert.ok(failed, 'a failure report for quiet@ (NOTIFY=SUCCESS,FAILURE)');
      assert.match(failed, /Final-Recipient: rfc822; ?quiet@remote\.test/i);
      assert.doesNotMatch(failed, /please report/, 'RET=HDRS: headers only');
      // NOTIFY=NEVER: the same refusal, and no report at all about "never tell".
      await mta.waitForLog((l) => l.event === 'delivery' && l.to === 'quiet@remote.test' && l.status === 'bounced' && mta.logLines().filter((x) => x.event === 'delivery' && x.to === 'quiet@remote.test').length >= 2, 10_000);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await mta.inbox('alice@example.com')).filter((m) => m.raw.includes('Subject: never tell')).length, 0);
      delete refusals['quiet@remote.test'];
    });

    it('a null MX bounces at once without a connection', async () => {
      const before = mta.logLines().length;
      await submit('someone@nullmx.test', 'null mx');
      const line = await mta.waitForLog((l) => l.event === 'delivery' && l.to === 'someone@nullmx.test');
      assert.equal(line.status, 'bounced');
      assert.equal(line.dsn, '5.1.10');
      assert.ok(mta.logLines().length > before);
    });

    it('a deferred message shows in `postern queue list` and `queue flush` delivers it once the remote accepts', async () => {
      refusals['later@remote.test'] = [451, '4.3.0 try again later'];
      await submit('later@remote.test', 'deferred then flushed');
      await mta.waitForLog((l) => l.event === 'delivery' && l.to === 'later@remote.test' && l.status === 'deferred');
      const listed = await mta.instance.run(['queue', 'list', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      const entries = JSON.parse(listed.stdout) as { id: QueueId; recipients: { address: string; status: string; lastResponse: string | null }[] }[];
      const entry = entries.find((e) => e.recipients.some((r) => r.address === 'later@remote.test'));
      assert.ok(entry, listed.stdout);
      assert.equal(entry.recipients[0]!.status, 'deferred');
      assert.match(entry.recipients[0]!.lastResponse ?? '', /451 4\.3\.0 try again later/);
      delete refusals['later@remote.test'];
      const count = remote.messages.length;
      const flushed = await mta.instance.run(['queue', 'flush']);
      assert.equal(flushed.code, 0, flushed.stderr);
      const messages = await remote.waitFor(count + 1);
      assert.deepEqual(messages[count]!.recipients, ['later@remote.test']);
      for (let i = 0; i < 50 && (await mta.store.getQueueEntry(entry.id)) !== null; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await mta.store.getQueueEntry(entry.id), null, 'the entry left the queue');
    });

    it('`postern sendmail` from the host relays to the MX, DKIM-signed (mynetworks)', async () => {
      const count = remote.messages.length;
      const sent = await mta.instance.run(['sendmail', '-f', 'alice@example.com', 'erin@remote.test'], { input: 'From: alice@example.com\nSubject: from cron\n\nnightly report\n' });
      assert.equal(sent.code, 0, sent.stderr);
      const messages = await remote.waitFor(count + 1);
      const raw = messages[count]!.message.toString();
      assert.match(raw, /^DKIM-Signature: .*d=example\.com/m);
      assert.match(raw, /nightly report/);
    });

    it('a local mailbox LMTP refuses while another takes the message stays queued for retry: one 250, no second copy', async () => {
      // A 1 KiB quota: the mailstore answers 452 4.2.2 for this mailbox after the data.
      const added = await mta.instance.run(['user', 'add', 'full@example.com', '--password-stdin', '--quota', '1K'], { input: `${PASSWORD}\n` });
      assert.equal(added.code, 0, added.stderr);
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mta.ports.submission, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: PASSWORD } });
      const info = await transport.sendMail({ from: 'alice@example.com', to: ['alice@example.com', 'full@example.com'], subject: 'partly local', text: 'x'.repeat(2048) });
      transport.close();
      assert.match(String(info.response), /^250 /);
      const inbox = await mta.inbox('alice@example.com');
      assert.equal(inbox.filter((m) => m.raw.includes('Subject: partly local')).length, 1, 'alice has one copy (stored before the 250)');
      // The one queue entry holds both mailboxes; the attempt's outcomes are recorded and its lease freed.
      let entry: QueueEntry | undefined;
      for (let i = 0; i < 200 && (entry === undefined || entry.leaseOwner !== null); i++) {
        entry = (await mta.store.listQueue()).find((e) => e.recipients.some((r) => r.address === 'full@example.com'));
        if (entry === undefined || entry.leaseOwner !== null) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(entry);
      assert.deepEqual(
        entry.recipients.map((r) => [r.address, r.status]),
        [
          ['alice@example.com', 'delivered'],
          ['full@example.com', 'deferred'],
        ],
        'alice is recorded as delivered, so only the refused mailbox is tried again',
      );
      // The mailbox goes away: the queue's next LMTP attempt gets 550 and alice gets the bounce.
      await mta.run(['user', 'del', 'full@example.com']);
      assert.equal((await mta.instance.run(['queue', 'flush'])).code, 0);
      let dsn: string | undefined;
      for (let i = 0; i < 200 && dsn === undefined; i++) {
        dsn = (await mta.inbox('alice@example.com')).map((m) => m.raw).find((raw) => raw.includes('Final-Recipient: rfc822; full@example.com'));
        if (dsn === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(dsn, 'a bounce for full@example.com');
      assert.match(dsn, /Status: 5\.1\.1/);
    });

    const fromOutside = (mailFrom: string, content: string, to?: string) => sendFromOutside(mta, mailFrom, content, to);

    const latest = async (subject: string, mailbox = 'INBOX'): Promise<string> => {
      for (let i = 0; i < 100; i++) {
        const found = (await mta.inbox('alice@example.com', mailbox)).reverse().find((m) => m.raw.includes(`Subject: ${subject}`));
        if (found) return found.raw;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no message "${subject}" in ${mailbox}`);
    };

    it('inbound mail with SPF, DKIM and DMARC passing gets one Authentication-Results naming the hostname, and Received-SPF', async () => {
      const content = await outsideMessage('news@good.test', 'all pass', { domain: 'good.test', selector: 'sel', privateKey: outsider.privateKey });
      // A forged Authentication-Results claiming our hostname must not survive (RFC 8601 §5).
      const forged = `Authentication-Results: mail.example.com; dkim=pass header.d=bank.test\r\n${content}`;
      assert.equal((await fromOutside('news@good.test', forged)).code, 250);
      const raw = await latest('all pass');
      const results = header(raw, 'Authentication-Results');
      assert.equal(results.length, 1, results.join('\n'));
      assert.match(results[0]!, /^mail\.example\.com;/);
      assert.match(results[0]!, /spf=pass/);
      assert.match(results[0]!, /dkim=pass[^;]*header\.i=@good\.test/);
      assert.match(results[0]!, /dmarc=pass/);
      assert.doesNotMatch(raw, /bank\.test/);
      assert.match(header(raw, 'Received-SPF')[0] ?? '', /^pass/i);
    });

    it('SPF softfail and a DNS failure are reported truthfully; the temperror DMARC lookup is answered 4xx', async () => {
      assert.equal((await fromOutside('x@soft.test', await outsideMessage('x@soft.test', 'soft fail'))).code, 250);
      assert.match(header(await latest('soft fail'), 'Authentication-Results')[0]!, /spf=softfail/);
      const reply = await fromOutside('x@broken.test', await outsideMessage('x@broken.test', 'dns broken'));
      assert.equal(Math.floor(reply.code / 100), 4, reply.line);
    });

    it('DMARC p=reject failures are refused at end of data with 550 5.7.1', async () => {
      const reply = await fromOutside('spoofer@elsewhere.test', await outsideMessage('ceo@reject.test', 'spoofed reject'));
      assert.equal(reply.code, 550, reply.line);
      assert.match(reply.line, /^550 5\.7\.1 /);
    });

    it('DMARC p=quarantine failures are filed into Junk', async () => {
      assert.equal((await fromOutside('spoofer@elsewhere.test', await outsideMessage('ceo@quarantine.test', 'spoofed quarantine'))).code, 250);
      const raw = await latest('spoofed quarantine', 'Junk');
      assert.match(header(raw, 'Authentication-Results')[0]!, /dmarc=fail/);
    });

    it('an alias forwarding off-site passes the message on with an ARC seal that verifies', async () => {
      const count = remote.messages.length;
      const content = await outsideMessage('news@good.test', 'forwarded', { domain: 'good.test', selector: 'sel', privateKey: outsider.privateKey });
      assert.equal((await fromOutside('news@good.test', content, 'fwd@example.com')).code, 250);
      const messages = await remote.waitFor(count + 1);
      const forwarded = messages[count]!;
      assert.deepEqual(forwarded.recipients, ['carol@remote.test']);
      const result = await authenticate(forwarded.message, { ip: '127.0.0.1', helo: 'mail.example.com', sender: forwarded.mailFrom, mta: 'mx.remote.test', resolver: resolver() });
      assert.ok(result.arc, 'ARC evaluated');
      assert.equal(result.arc.status.result, 'pass', JSON.stringify(result.arc.status));
      assert.match(forwarded.message.toString(), /^ARC-Seal: i=1;/m);
    });
  });
}
