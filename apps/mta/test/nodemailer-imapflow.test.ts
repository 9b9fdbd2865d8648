// nodemailer submits through `postern start` and imapflow reads the result
// back over IMAP, on both store backends; with smtpd.sasl_local_domain (bare
// logins), smtpd.strip_submission_received (the guides' header_checks) and a
// small auth-failure limit (temporary bans per IP).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { startMtaInstance, type MtaInstance } from '../../../test/mta/instance.js';
import { SmtpDialogue } from '../../../test/mta/smtp-dialogue.js';

const PASSWORD = 'nodemailer test password';

async function readInbox(port: number, user: string): Promise<string[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, tls: { rejectUnauthorized: false }, auth: { user, pass: PASSWORD }, logger: false });
  await client.connect();
  const lock = await client.getMailboxLock('INBOX');
  const messages: string[] = [];
  try {
    for await (const message of client.fetch('1:*', { source: true })) messages.push(message.source?.toString() ?? '');
  } finally {
    lock.release();
  }
  await client.logout();
  return messages;
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`nodemailer and imapflow against postern start on ${backend}`, { timeout: 180_000 }, () => {
    let mta: MtaInstance;
    before(async () => {
      mta = await startMtaInstance(backend, {
        settings: [
          ['smtpd.sasl_local_domain', '"example.com"'],
          ['smtpd.strip_submission_received', 'true'],
          ['limits.auth_failures_before_ban', '3'],
        ],
      });
      await mta.addUser('alice@example.com', PASSWORD);
      await mta.addUser('bob@example.com', PASSWORD);
    });
    after(() => mta?.stop());

    it('nodemailer submits on 587 with a bare login (sasl_local_domain), and imapflow reads it without any Received of the client', async () => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mta.ports.submission, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice', pass: PASSWORD } });
      const info = await transport.sendMail({
        from: 'alice@example.com',
        to: 'bob@example.com',
        subject: 'from nodemailer',
        text: 'hello\n.\nstill hello',
        headers: { Received: 'from laptop.home (192.168.1.20) by mua' },
      });
      transport.close();
      assert.match(info.response, /^250 2\.0\.0 Ok: queued as /);
      const [raw] = (await readInbox(mta.ports.imap, 'bob@example.com')).filter((m) => m.includes('Subject: from nodemailer'));
      assert.ok(raw);
      const header = raw.slice(0, raw.indexOf('\r\n\r\n'));
      assert.doesNotMatch(header, /^Received:/im, 'neither the client’s Received nor ours (it would name the client)');
      assert.doesNotMatch(raw, /192\.168\.1\.20|127\.0\.0\.1/);
      assert.match(raw, /hello\r\n\.\r\nstill hello/);
    });

    it('nodemailer on 465 (implicit TLS); port 25 still adds its Received header', async () => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mta.ports.submissions, secure: true, tls: { rejectUnauthorized: false }, auth: { user: 'bob@example.com', pass: PASSWORD } });
      await transport.sendMail({ from: 'bob@example.com', to: 'alice@example.com', subject: 'over 465', text: 'x' });
      transport.close();
      const inbound = nodemailer.createTransport({ host: '127.0.0.1', port: mta.ports.smtp, secure: false, ignoreTLS: true, name: 'client.example.org' });
      await inbound.sendMail({ from: 'someone@example.org', to: 'alice@example.com', subject: 'over 25', text: 'y' });
      inbound.close();
      const inbox = await readInbox(mta.ports.imap, 'alice@example.com');
      assert.doesNotMatch(inbox.find((m) => m.includes('Subject: over 465')) ?? 'missing', /^Received:/m);
      assert.match(inbox.find((m) => m.includes('Subject: over 25')) ?? 'missing', /^Received: from client\.example\.org \(unknown \[127\.0\.0\.1\]\)/m);
    });

    it('bans a client after limits.auth_failures_before_ban failures: 454 4.7.0, then refused at connect on 587', async () => {
      const smtp = await SmtpDialogue.open(mta.ports.submissions, { implicitTls: true, localAddress: '127.0.0.2' });
      await smtp.ehlo();
      const wrong = Buffer.from('\0alice@example.com\0wrong password').toString('base64');
      for (let i = 0; i < 3; i++) assert.equal((await smtp.command(`AUTH PLAIN ${wrong}`)).line, '535 5.7.8 Error: authentication failed');
      const right = Buffer.from(`\0alice@example.com\0${PASSWORD}`).toString('base64');
      assert.equal((await smtp.command(`AUTH PLAIN ${right}`)).line, '454 4.7.0 Error: too many authentication failures, try again later');
      smtp.close();
      const again = await SmtpDialogue.open(mta.ports.submission, { localAddress: '127.0.0.2' });
      assert.equal(again.greeting.line, '454 4.7.0 Error: too many authentication failures, try again later');
      // Mail from that address on port 25 still flows; other addresses may still log in.
      const mx = await SmtpDialogue.open(mta.ports.smtp, { localAddress: '127.0.0.2' });
      assert.equal(mx.greeting.code, 220);
      mx.close();
      const ban = await mta.waitForLog((line) => line.event === 'auth_ban');
      assert.equal(ban.client, '127.0.0.2');
      assert.ok(mta.logLines().filter((line) => line.event === 'auth_failed').every((line) => !JSON.stringify(line).includes('wrong password')), 'no password in the log');
    });
  });
}
