// The open-relay battery: a client outside mynetworks (bound to 127.0.0.2,
// mynetworks = 127.0.0.1/32) tries every classic way of getting mail for
// another domain accepted. None may be accepted for a non-local domain; the
// same client may still deliver to local users (the MX role).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { SmtpDialogue, message, sendMail } from './smtp-dialogue.js';

const OUTSIDE = '127.0.0.2';
const PASSWORD = 'relay test password';

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`open-relay battery against postern start on ${backend}`, { timeout: 180_000 }, () => {
    let mta: MtaInstance;
    before(async () => {
      mta = await startMtaInstance(backend);
      await mta.addUser('alice@example.com', PASSWORD);
    });
    after(() => mta?.stop());

    const outsideSession = async (): Promise<SmtpDialogue> => {
      const smtp = await SmtpDialogue.open(mta.ports.smtp, { localAddress: OUTSIDE });
      assert.equal((await smtp.ehlo('relay-tester.example.org')).code, 250);
      return smtp;
    };

    // [RCPT TO argument, the reply it must get]
    const attempts: [string, RegExp][] = [
      ['<friend@example.net>', /^554 5\.7\.1 <friend@example\.net>: Relay access denied$/],
      ['<friend@EXAMPLE.NET>', /^554 5\.7\.1 .*Relay access denied$/],
      ['<friend@example.com.example.net>', /^554 5\.7\.1 .*Relay access denied$/],
      // Address literals are outside the one address parser: refused as syntax, never relayed.
      ['<friend@[127.0.0.1]>', /^501 5\.1\.3 <friend@\[127\.0\.0\.1\]>: Recipient address rejected: /],
      // Source routes are stripped (RFC 5321 §4.1.2 / appendix C): what remains is the remote mailbox.
      ['<@example.com:friend@example.net>', /^554 5\.7\.1 <friend@example\.net>: Relay access denied$/],
      ['<@mail.example.com,@example.com:friend@example.net>', /^554 5\.7\.1 <friend@example\.net>: Relay access denied$/],
      // The percent hack and quoted local parts stay local addresses: unknown here, never relayed.
      // (reject_unauth_destination sees through the percent hack as Postfix does; either refusal is fine.)
      ['<friend%example.net@example.com>', /^(550 5\.1\.1 .*User unknown|554 5\.7\.1 .*Relay access denied)/],
      ['<"friend%example.net"@example.com>', /^(550 5\.1\.1 .*User unknown|554 5\.7\.1 .*Relay access denied)/],
      ['<"friend@example.net"@example.com>', /^501 5\.1\.3 /],
      ['<friend@example.net@example.com>', /^501 5\.1\.3 /],
      ['<example.net!friend@example.com>', /^(550 5\.1\.1 .*User unknown|554 5\.7\.1 .*Relay access denied)/],
      ['<friend@example.net.>', /^501 5\.1\.3 /],
      ['friend@example.net', /^501 5\.1\.3 /],
    ];

    for (const sender of ['someone@example.org', '', 'alice@example.com']) {
      it(`refuses every relay attempt from outside with MAIL FROM:<${sender}>`, async () => {
        const smtp = await outsideSession();
        assert.equal((await smtp.command(`MAIL FROM:<${sender}>`)).code, 250);
        for (const [rcpt, expected] of attempts) {
          const reply = await smtp.command(`RCPT TO:${rcpt}`);
          assert.match(reply.line, expected, `RCPT TO:${rcpt}`);
        }
        // No recipient was accepted, so there is nothing to send.
        assert.equal((await smtp.command('DATA')).code, 503);
        await smtp.command('QUIT');
      });
    }

    it('accepts mail from outside for a local user (the MX role) but not alongside a remote recipient', async () => {
      const smtp = await outsideSession();
      const reply = await sendMail(smtp, 'someone@example.org', ['friend@example.net', 'alice@example.com'], message('from outside'));
      assert.match(reply.line, /^250 2\.0\.0 Ok: queued as /);
      await smtp.command('QUIT');
      await mta.waitForLog((line) => line.event === 'delivery');
      const delivered = mta.logLines().filter((line) => line.event === 'delivery');
      assert.ok(delivered.length > 0);
      assert.ok(delivered.every((line) => String(line.to).endsWith('@example.com')), 'only local mailboxes were delivered to');
    });

    it('an authenticated client may relay by policy (the transaction is left unfinished here)', async () => {
      const smtp = await SmtpDialogue.open(mta.ports.smtp, { localAddress: OUTSIDE });
      await smtp.ehlo();
      assert.equal((await smtp.command('STARTTLS')).code, 220);
      await smtp.startTls();
      await smtp.ehlo();
      const token = Buffer.from(`\0alice@example.com\0${PASSWORD}`).toString('base64');
      assert.equal((await smtp.command(`AUTH PLAIN ${token}`)).line, '235 2.7.0 Authentication successful');
      assert.equal((await smtp.command('MAIL FROM:<alice@example.com>')).code, 250);
      assert.equal((await smtp.command('RCPT TO:<friend@example.net>')).code, 250);
      await smtp.command('QUIT');
    });

    it('nothing for another domain was accepted or queued', async () => {
      assert.deepEqual(await mta.store.listQueue(), []);
      // Every message received in full names only local recipients.
      const received = mta.logLines().filter((line) => line.event === 'received');
      assert.ok(received.length > 0);
      for (const line of received) {
        for (const rcpt of line.to as string[]) assert.match(rcpt, /@example\.com$/, `accepted ${rcpt}`);
      }
      const relayDenied = mta.logLines().filter((line) => line.event === 'reject' && line.rule === 'reject_unauth_destination');
      assert.ok(relayDenied.length >= 3 * 6, 'each relay refusal is logged with its rule');
      assert.equal(relayDenied[0]!.stage, 'relay');
    });
  });
}
