// Real SMTP clients — swaks, Python's smtplib — against `postern start` on both
// store backends: port 25 without AUTH, 587 with STARTTLS + AUTH, 465 with
// implicit TLS; every accepted message is then found in the store and read
// back over IMAP with Python's imaplib.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { python } from '../support/python.js';
import { requireTool } from '../support/tools.js';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { SmtpDialogue, message, sendMail } from './smtp-dialogue.js';
import { requireSwaksTls, swaks } from './tools.js';

const PASSWORD = 'smtp test password';

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`SMTP clients against postern start on ${backend}`, { timeout: 180_000 }, () => {
    let mta: MtaInstance;
    before(async () => {
      mta = await startMtaInstance(backend);
      console.log(`mta client tests: ${backend} — ${mta.instance.server}`);
      await mta.addUser('alice@example.com', PASSWORD);
      await mta.addUser('bob@example.com', PASSWORD);
      await mta.run(['alias', 'add', 'team@example.com', 'alice@example.com', 'bob@example.com']);
      await mta.run(['alias', 'add', 'postmaster@example.com', 'alice@example.com']);
    });
    after(() => mta?.stop());

    it('swaks delivers on port 25 without AUTH, and the message carries our Received header', async (t) => {
      if (!requireTool(t, 'swaks', 'swaks')) return;
      const before = (await mta.inbox('alice@example.com')).length;
      const run = await swaks(mta.ports.smtp, ['--to', 'alice@example.com', '--from', 'someone@example.org', '--header', 'Subject: swaks port 25']);
      assert.equal(run.code, 0, run.transcript);
      assert.match(run.transcript, /<- {2}220 mail\.example\.com ESMTP\r?\n/);
      assert.match(run.transcript, /<- {2}250 2\.0\.0 Ok: queued as [0-9a-f]{24}/);
      const inbox = await mta.waitForInbox('alice@example.com', before + 1);
      const raw = inbox.at(-1)!.raw;
      assert.match(raw, /^Subject: swaks port 25$/m);
      assert.match(raw, /^Received: from client\.example\.org \(unknown \[127\.0\.0\.1\]\)\r\n\tby mail\.example\.com \(Postern\) with ESMTP id [0-9a-f]{24}\r\n\tfor <alice@example\.com>; /m);
    });

    it('swaks with --pipeline gets every reply in order', async (t) => {
      if (!requireTool(t, 'swaks', 'swaks')) return;
      const run = await swaks(mta.ports.smtp, ['--pipeline', '--to', 'alice@example.com,bob@example.com', '--from', 'someone@example.org', '--header', 'Subject: pipelined']);
      assert.equal(run.code, 0, run.transcript);
      assert.match(run.transcript, /250 2\.1\.0 Accepted[\s\S]*250 2\.1\.5 Accepted[\s\S]*250 2\.1\.5 Accepted[\s\S]*354 [\s\S]*250 2\.0\.0 Ok: queued as/);
      for (const user of ['alice@example.com', 'bob@example.com']) {
        const inbox = await mta.waitForInbox(user, 1);
        assert.ok(inbox.some((m) => /^Subject: pipelined$/m.test(m.raw)), `${user} got the pipelined message`);
      }
    });

    it('swaks on 587: STARTTLS, then AUTH PLAIN, then mail from the login’s own address (Received shows ESMTPSA and the cipher)', async (t) => {
      if (!requireSwaksTls(t)) return;
      const run = await swaks(mta.ports.submission, ['--tls', '--auth', 'PLAIN', '--auth-user', 'alice@example.com', '--auth-password', PASSWORD, '--from', 'alice@example.com', '--to', 'bob@example.com', '--header', 'Subject: submitted on 587']);
      assert.equal(run.code, 0, run.transcript);
      assert.match(run.transcript, /220 2\.0\.0 Ready to start TLS/);
      assert.match(run.transcript, /<~ {2}250-AUTH PLAIN LOGIN/);
      assert.match(run.transcript, /235 2\.7\.0 Authentication successful/);
      const raw = (await mta.waitForInbox('bob@example.com', 2)).find((m) => /^Subject: submitted on 587$/m.test(m.raw))?.raw ?? '';
      assert.match(raw, /with ESMTPSA id [0-9a-f]{24}/);
      assert.match(raw, /\(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)/);
    });

    it('swaks on 465: implicit TLS, AUTH LOGIN, a bare login refused without sasl_local_domain', async (t) => {
      if (!requireSwaksTls(t)) return;
      const run = await swaks(mta.ports.submissions, ['--tlsc', '--auth', 'LOGIN', '--auth-user', 'bob@example.com', '--auth-password', PASSWORD, '--from', 'bob@example.com', '--to', 'alice@example.com', '--header', 'Subject: submitted on 465']);
      assert.equal(run.code, 0, run.transcript);
      assert.match(run.transcript, /<~ {2}220 mail\.example\.com ESMTP/);
      assert.ok((await mta.waitForInbox('alice@example.com', 1)).some((m) => /^Subject: submitted on 465$/m.test(m.raw)));
      const bare = await swaks(mta.ports.submissions, ['--tlsc', '--auth', 'LOGIN', '--auth-user', 'bob', '--auth-password', PASSWORD, '--from', 'bob@example.com', '--to', 'alice@example.com']);
      assert.notEqual(bare.code, 0);
      assert.match(bare.transcript, /535 5\.7\.8 Error: authentication failed/);
    });

    it('refuses a sender the login does not own with 553 5.7.1, and accepts an alias that points at the login', async (t) => {
      if (!requireSwaksTls(t)) return;
      const foreign = await swaks(mta.ports.submission, ['--tls', '--auth', 'PLAIN', '--auth-user', 'bob@example.com', '--auth-password', PASSWORD, '--from', 'alice@example.com', '--to', 'alice@example.com']);
      assert.notEqual(foreign.code, 0);
      assert.match(foreign.transcript, /553 5\.7\.1 <alice@example\.com>: Sender address rejected: not owned by user bob@example\.com/);
      const aliasOwned = await swaks(mta.ports.submission, ['--tls', '--auth', 'PLAIN', '--auth-user', 'alice@example.com', '--auth-password', PASSWORD, '--from', 'postmaster@example.com', '--to', 'bob@example.com']);
      assert.equal(aliasOwned.code, 0, aliasOwned.transcript);
      await mta.run(['sender', 'allow', 'alice@example.com', 'bob@example.com']);
      const granted = await swaks(mta.ports.submission, ['--tls', '--auth', 'PLAIN', '--auth-user', 'bob@example.com', '--auth-password', PASSWORD, '--from', 'alice@example.com', '--to', 'alice@example.com']);
      assert.equal(granted.code, 0, granted.transcript);
      const log = await mta.waitForLog((line) => line.event === 'reject' && typeof line.reply === 'string' && line.reply.startsWith('553 5.7.1'));
      assert.equal(log.from, 'alice@example.com');
    });

    it('587 offers no AUTH before STARTTLS, refuses it with 530 5.7.0, and refuses MAIL without AUTH', async () => {
      const smtp = await SmtpDialogue.open(mta.ports.submission);
      const ehlo = await smtp.ehlo();
      assert.ok(ehlo.lines.includes('STARTTLS'));
      assert.ok(!ehlo.lines.some((l) => l.startsWith('AUTH')), ehlo.lines.join('|'));
      assert.equal((await smtp.command('AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHg=')).line, '530 5.7.0 Must issue a STARTTLS command first');
      assert.equal((await smtp.command('MAIL FROM:<alice@example.com>')).line, '530 5.7.0 Authentication required');
      assert.equal((await smtp.command('STARTTLS')).code, 220);
      await smtp.startTls();
      assert.equal((await smtp.command('MAIL FROM:<alice@example.com>')).code, 503, 'EHLO again after STARTTLS');
      const secured = await smtp.ehlo();
      assert.ok(secured.lines.includes('AUTH PLAIN LOGIN'));
      assert.ok(!secured.lines.includes('STARTTLS'));
      assert.equal((await smtp.command('MAIL FROM:<alice@example.com>')).line, '530 5.7.0 Authentication required');
      smtp.close();
    });

    it('Python smtplib submits on 587 (starttls + login) and 465 (SMTP_SSL); the messages are read back over IMAP with imaplib', async (t) => {
      if (!requireTool(t, 'python3', 'python3')) return;
      const out = await python<{ ehlo587: string[]; sent587: Record<string, unknown>; sent465: Record<string, unknown>; sent25: Record<string, unknown>; subjects: string[] }>(
        `
import smtplib, imaplib, email
from email.message import EmailMessage

def msg(subject):
    m = EmailMessage()
    m['From'] = 'alice@example.com'
    m['To'] = 'bob@example.com'
    m['Subject'] = subject
    m.set_content('Sent by smtplib.\\n.a line that starts with a dot\\n')
    return m

s = smtplib.SMTP('127.0.0.1', args['submission'], timeout=20)
s.starttls(context=tls)
s.ehlo('client.example.org')
out['ehlo587'] = sorted(s.esmtp_features.keys())
s.login('alice@example.com', args['password'])
out['sent587'] = s.send_message(msg('smtplib 587'))
s.quit()

s = smtplib.SMTP_SSL('127.0.0.1', args['submissions'], context=tls, timeout=20)
s.login('alice@example.com', args['password'])
out['sent465'] = s.send_message(msg('smtplib 465'))
s.quit()

s = smtplib.SMTP('127.0.0.1', args['smtp'], local_hostname='client.example.org', timeout=20)
out['sent25'] = s.send_message(msg('smtplib 25'))
s.quit()

m = imaplib.IMAP4('127.0.0.1', args['imap'])
m.starttls(ssl_context=tls)
m.login('bob@example.com', args['password'])
m.select('INBOX')
typ, data = m.search(None, 'ALL')
subjects = []
for num in data[0].split():
    typ, parts = m.fetch(num, '(BODY.PEEK[])')
    parsed = email.message_from_bytes(parts[0][1])
    subjects.append(parsed['Subject'])
    if parsed['Subject'] == 'smtplib 25':
        assert '.a line that starts with a dot' in parsed.get_payload(), parsed.get_payload()
out['subjects'] = subjects
m.logout()
`,
        { smtp: mta.ports.smtp, submission: mta.ports.submission, submissions: mta.ports.submissions, imap: mta.ports.imap, password: PASSWORD },
      );
      assert.deepEqual(out.sent587, {});
      assert.deepEqual(out.sent465, {});
      assert.deepEqual(out.sent25, {});
      for (const keyword of ['8bitmime', 'auth', 'enhancedstatuscodes', 'pipelining', 'size', 'smtputf8']) assert.ok(out.ehlo587.includes(keyword), keyword);
      for (const subject of ['smtplib 587', 'smtplib 465', 'smtplib 25']) assert.ok(out.subjects.includes(subject), `${subject} in ${out.subjects.join(', ')}`);
    });

    it('delivers to an alias with two users, to user+tag, and to postmaster (bare and with the domain)', async () => {
      const smtp = await SmtpDialogue.open(mta.ports.smtp);
      await smtp.ehlo();
      const reply = await sendMail(smtp, 'someone@example.org', ['team@example.com', 'alice+lists@example.com', 'postmaster', 'postmaster@example.com'], message('fan-out'));
      assert.match(reply.line, /^250 2\.0\.0 Ok: queued as /);
      await smtp.command('QUIT');
      for (const user of ['alice@example.com', 'bob@example.com']) {
        const copies = (await mta.waitForInbox(user, 1)).filter((m) => /^Subject: fan-out$/m.test(m.raw));
        // alice is reached four ways but gets the message once (one LMTP recipient per mailbox).
        assert.equal(copies.length, 1, `${user} has one copy`);
      }
      await mta.waitForLog((line) => line.event === 'delivery' && line.to === 'alice+lists@example.com');
      const delivery = mta.logLines().filter((line) => line.event === 'delivery' && line.status === 'sent' && line.to === 'alice+lists@example.com');
      assert.equal(delivery.length, 1, 'the +tag reaches LMTP as it was written');
    });

    it('refuses an unknown local recipient at RCPT with 550 5.1.1 and accepts a remote one from mynetworks for the queue', async () => {
      const smtp = await SmtpDialogue.open(mta.ports.smtp);
      await smtp.ehlo();
      assert.equal((await smtp.command('MAIL FROM:<someone@example.org>')).code, 250);
      assert.equal((await smtp.command('RCPT TO:<nobody@example.com>')).line, '550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table');
      // 127.0.0.1 is in mynetworks, so relaying is permitted: the outbound queue takes it after DATA.
      assert.equal((await smtp.command('RCPT TO:<friend@example.net>')).code, 250);
      await smtp.command('QUIT');
    });
  });
}
