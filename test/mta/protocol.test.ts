// The SMTP conversation as a client sees it: banner and EHLO keywords, the
// guides' smtpd settings (VRFY off, HELO required, strict envelopes), the
// limits (size, recipients, errors, connections per IP, idle timeout), STARTTLS
// that discards pipelined plaintext, and a clean shutdown during DATA.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { SmtpDialogue, message, sendMail } from './smtp-dialogue.js';

describe('SMTP protocol and limits of postern start (sqlite)', { timeout: 180_000 }, () => {
  let mta: MtaInstance;
  before(async () => {
    mta = await startMtaInstance('sqlite', {
      settings: [
        ['smtpd.recipient_limit', '3'],
        ['smtpd.hard_error_limit', '5'],
        ['smtpd.timeout_seconds', '3'],
        ['smtpd.message_size_limit', '"64K"'],
        ['limits.smtpd_client_connection_count_limit', '4'],
        // The per-client limit exempts mynetworks: only 127.0.0.1 is ours here, the limit test comes from 127.0.0.5.
        ['smtpd.mynetworks', '["127.0.0.1/32", "[::1]/128"]'],
      ],
    });
    for (const user of ['alice', 'bob', 'carol', 'dave']) await mta.addUser(`${user}@example.com`, 'pw');
  });
  after(() => mta?.stop());

  it('greets with "HOSTNAME ESMTP" and no version, and lists the ESMTP keywords', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    assert.equal(smtp.greeting.line, '220 mail.example.com ESMTP');
    const ehlo = await smtp.ehlo();
    assert.equal(ehlo.lines[0], 'mail.example.com');
    assert.deepEqual(ehlo.lines.slice(1).sort(), ['8BITMIME', 'DSN', 'ENHANCEDSTATUSCODES', 'PIPELINING', 'SIZE 65536', 'SMTPUTF8', 'STARTTLS']);
    smtp.close();
  });

  it('VRFY is disabled (502 5.5.1), MAIL before HELO is 503 5.5.1, an unbracketed sender is 501 5.1.7', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    assert.equal((await smtp.command('VRFY alice')).line, '502 5.5.1 VRFY command is disabled');
    assert.equal((await smtp.command('MAIL FROM:<someone@example.org>')).line, '503 5.5.1 Error: send HELO/EHLO first');
    await smtp.ehlo();
    assert.equal((await smtp.command('MAIL FROM:someone@example.org')).line, '501 5.1.7 Error: Bad sender address syntax');
    assert.equal((await smtp.command('MAIL FROM:<someone@example.org>')).code, 250);
    assert.equal((await smtp.command('RCPT TO:alice@example.com')).line, '501 5.1.3 Error: Bad recipient address syntax');
    smtp.close();
  });

  it('refuses the recipient over smtpd.recipient_limit with 452 4.5.3 and delivers to the others', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    await smtp.ehlo();
    await smtp.command('MAIL FROM:<someone@example.org>');
    for (const user of ['alice', 'bob', 'carol']) assert.equal((await smtp.command(`RCPT TO:<${user}@example.com>`)).code, 250);
    assert.equal((await smtp.command('RCPT TO:<dave@example.com>')).line, '452 4.5.3 Error: too many recipients');
    assert.equal((await smtp.command('DATA')).code, 354);
    smtp.send(`${message('three recipients')}.\r\n`);
    assert.match((await smtp.reply()).line, /^250 2\.0\.0 /);
    smtp.close();
    assert.equal((await mta.inbox('dave@example.com')).length, 0);
    assert.equal((await mta.inbox('carol@example.com')).length, 1);
  });

  it('refuses SIZE= above message_size_limit at MAIL, and a larger message while streaming, with 552 5.3.4', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    await smtp.ehlo();
    assert.match((await smtp.command('MAIL FROM:<someone@example.org> SIZE=100000')).line, /^552 5\.3\.4 /);
    const before = (await mta.inbox('bob@example.com')).length;
    const big = message('too big', `${'x'.repeat(998)}\r\n`.repeat(100));
    const reply = await sendMail(smtp, 'someone@example.org', ['bob@example.com'], big);
    assert.match(reply.line, /^552 5\.3\.4 /);
    // The session goes on after the refusal.
    assert.match((await sendMail(smtp, 'someone@example.org', ['bob@example.com'], message('small enough'))).line, /^250 /);
    smtp.close();
    const subjects = (await mta.inbox('bob@example.com')).slice(before).map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1]);
    assert.deepEqual(subjects, ['small enough']);
  });

  it('after STARTTLS, plaintext pipelined behind it is discarded (STARTTLS and EHLO in one packet)', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    await smtp.ehlo();
    smtp.send('STARTTLS\r\nEHLO injected.example.org\r\nMAIL FROM:<injected@example.org>\r\n');
    assert.equal((await smtp.reply()).line, '220 2.0.0 Ready to start TLS');
    await smtp.startTls();
    assert.deepEqual(await smtp.quietFor(300), [], 'nothing answers the injected commands');
    // The TLS session starts from scratch: no HELO yet, no transaction.
    assert.equal((await smtp.command('MAIL FROM:<someone@example.org>')).line, '503 5.5.1 Error: send HELO/EHLO first');
    const ehlo = await smtp.ehlo();
    assert.ok(ehlo.lines.includes('AUTH PLAIN LOGIN'), 'AUTH is offered inside TLS on 25');
    assert.ok(!ehlo.lines.includes('STARTTLS'));
    smtp.close();
  });

  it('drops a client after smtpd.hard_error_limit errors with 421', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    await smtp.ehlo();
    for (let i = 0; i < 4; i++) assert.equal((await smtp.command('RCPT TO:<alice@example.com>')).code, 503);
    assert.equal((await smtp.command('VRFY x')).code, 502);
    assert.equal((await smtp.reply()).line, '421 4.7.0 mail.example.com Error: too many errors');
    await smtp.closed;
  });

  it('refuses a connection over limits.smtpd_client_connection_count_limit with 421 4.7.0, and takes new ones once others leave', async () => {
    // The server counts a session until its own close event, a moment after the earlier tests' clients saw theirs.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const outside = { localAddress: '127.0.0.5' };
    const open = await Promise.all([1, 2, 3, 4].map(() => SmtpDialogue.open(mta.ports.smtp, outside)));
    const fifth = await SmtpDialogue.open(mta.ports.smtp, outside);
    assert.equal(fifth.greeting.line, '421 4.7.0 mail.example.com Error: too many connections from 127.0.0.5');
    await fifth.closed;
    // A client outside the limit's address is unaffected.
    const other = await SmtpDialogue.open(mta.ports.smtp, { localAddress: '127.0.0.2' });
    assert.equal(other.greeting.code, 220);
    other.close();
    for (const smtp of open) {
      await smtp.command('QUIT');
      await smtp.closed;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await SmtpDialogue.open(mta.ports.smtp, outside);
    assert.equal(again.greeting.code, 220);
    again.close();
  });

  it('closes an idle session after smtpd.timeout_seconds with 421', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    await smtp.ehlo();
    const reply = await smtp.reply(8000);
    assert.match(reply.line, /^421 4\.4\.2 .*Timeout/);
    await smtp.closed;
  });

  it('logs one JSON line per event with the queue id and the maillog fields', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    await smtp.ehlo('logger.example.org');
    const reply = await sendMail(smtp, 'someone@example.org', ['alice@example.com'], message('logged'));
    await smtp.command('QUIT');
    const queueId = /queued as ([0-9a-f]{24})/.exec(reply.line)?.[1];
    assert.ok(queueId);
    await mta.waitForLog((line) => line.queue_id === queueId && line.event === 'removed');
    // The mailstore's line for the stored copy names the same queue id (XFORWARD IDENT), without an MTA event.
    assert.ok(mta.logLines().some((line) => line.queue_id === queueId && line.event === undefined && line.uid !== undefined), 'the mailstore logs the queue id');
    const lines = mta.logLines().filter((line) => line.queue_id === queueId && line.event !== undefined);
    // Postfix's sequence: smtpd, cleanup, qmgr (queue active), lmtp (status=sent), qmgr (removed).
    assert.deepEqual(
      lines.map((line) => line.event),
      ['mail', 'received', 'queued', 'delivery', 'removed'],
    );
    const accepted = lines[1]!;
    assert.equal(accepted.from, 'someone@example.org');
    assert.deepEqual(accepted.to, ['alice@example.com']);
    assert.equal(accepted.helo, 'logger.example.org');
    assert.equal(accepted.client, 'unknown[127.0.0.1]');
    assert.equal(typeof accepted.size, 'number');
    const delivery = lines[3]!;
    assert.equal(delivery.status, 'sent');
    assert.equal(delivery.dsn, '2.0.0');
    assert.equal(delivery.relay, `lmtp[127.0.0.1:${mta.ports.lmtp}]`);
    assert.ok(mta.logLines().some((line) => line.event === 'connect' && line.client === 'unknown[127.0.0.1]'));
  });

  // Last: it stops the services.
  it('SIGTERM during DATA: the message being sent is finished and delivered, then the session gets 421', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    await smtp.ehlo();
    assert.equal((await smtp.command('MAIL FROM:<someone@example.org>')).code, 250);
    assert.equal((await smtp.command('RCPT TO:<carol@example.com>')).code, 250);
    assert.equal((await smtp.command('DATA')).code, 354);
    smtp.send('From: someone@example.org\r\nSubject: in flight at shutdown\r\n\r\nfirst half\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopping = mta.stopServices();
    await new Promise((resolve) => setTimeout(resolve, 300));
    smtp.send('second half\r\n.\r\n');
    assert.match((await smtp.reply()).line, /^250 2\.0\.0 Ok: queued as /);
    assert.match((await smtp.reply()).line, /^421 4\.3\.2 /);
    await stopping;
    const raw = (await mta.inbox('carol@example.com')).find((m) => m.raw.includes('in flight at shutdown'))?.raw ?? '';
    assert.match(raw, /first half\r\nsecond half\r\n$/);
  });
});

describe('smtpd.tls_security_level = encrypt (sqlite)', { timeout: 180_000 }, () => {
  let mta: MtaInstance;
  before(async () => {
    mta = await startMtaInstance('sqlite', { settings: [['smtpd.tls_security_level', '"encrypt"']] });
    await mta.addUser('alice@example.com', 'pw');
  });
  after(() => mta?.stop());

  it('refuses MAIL before STARTTLS with 530 5.7.0 and takes mail inside TLS', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    await smtp.ehlo();
    assert.equal((await smtp.command('MAIL FROM:<someone@example.org>')).line, '530 5.7.0 Must issue a STARTTLS command first');
    assert.equal((await smtp.command('STARTTLS')).code, 220);
    await smtp.startTls();
    await smtp.ehlo();
    assert.match((await sendMail(smtp, 'someone@example.org', ['alice@example.com'], message('encrypted only'))).line, /^250 /);
    smtp.close();
  });
});
