// SMTP smuggling probes (the end-of-data confusion of 2023): a message whose
// content holds a non-standard end of data followed by a second, smuggled
// transaction. Only CRLF.CRLF ends DATA here, so the smuggled commands must
// stay content of the first message and never become a message of their own;
// bare CR/LF are normalised to CRLF before anything is passed on (or the
// message is refused with smtpd.forbid_bare_newline = reject).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { SmtpDialogue } from './smtp-dialogue.js';

const PROBES: [string, string][] = [
  ['LF.LF', '\n.\n'],
  ['CR.LF', '\r.\n'],
  ['LF.CRLF', '\n.\r\n'],
  ['CRLF.LF', '\r\n.\n'],
  ['CRLF.CR', '\r\n.\r'],
  ['CR.CR', '\r.\r'],
  ['CR.CRLF', '\r.\r\n'],
  ['LF.CR', '\n.\r'],
];

const BARE = /(?<!\r)\n|\r(?!\n)/;

/** One DATA with `terminator` and a whole second transaction (for bob) hidden behind it. */
function smuggle(label: string, terminator: string): string {
  return (
    `From: attacker@example.org\r\nTo: alice@example.com\r\nSubject: carrier ${label}\r\n\r\nfirst message${terminator}` +
    `MAIL FROM:<ceo@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nFrom: ceo@example.com\r\nSubject: smuggled ${label}\r\n\r\nwire the money\r\n` +
    '\r\n.\r\n'
  );
}

async function transaction(mta: MtaInstance, content: string | string[], expectReplies = 1): Promise<{ replies: string[]; extra: string[] }> {
  const smtp = await SmtpDialogue.open(mta.ports.smtp);
  await smtp.ehlo();
  assert.equal((await smtp.command('MAIL FROM:<attacker@example.org>')).code, 250);
  assert.equal((await smtp.command('RCPT TO:<alice@example.com>')).code, 250);
  assert.equal((await smtp.command('DATA')).code, 354);
  for (const part of Array.isArray(content) ? content : [content]) {
    smtp.send(part);
    // Separate TCP segments, so the terminator can straddle chunk boundaries.
    if (Array.isArray(content)) await new Promise((resolve) => setTimeout(resolve, 30));
  }
  const replies: string[] = [];
  for (let i = 0; i < expectReplies; i++) replies.push((await smtp.reply()).line);
  // Anything more would be a reply to a smuggled command.
  const extra = (await smtp.quietFor(300)).map((r) => r.line);
  const quit = await smtp.command('QUIT').catch(() => null);
  if (quit) assert.equal(quit.code, 221);
  return { replies, extra };
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`SMTP smuggling probes against postern start on ${backend} (forbid_bare_newline = normalize)`, { timeout: 180_000 }, () => {
    let mta: MtaInstance;
    before(async () => {
      mta = await startMtaInstance(backend);
      await mta.addUser('alice@example.com', 'pw');
      await mta.addUser('bob@example.com', 'pw');
    });
    after(() => mta?.stop());

    for (const [label, terminator] of PROBES) {
      it(`${label} inside DATA ends nothing: one message, the smuggled one stays content`, async () => {
        const { replies, extra } = await transaction(mta, smuggle(label, terminator));
        assert.match(replies[0]!, /^250 2\.0\.0 Ok: queued as /);
        assert.deepEqual(extra, [], 'no reply to a smuggled command');
        const carrier = (await mta.inbox('alice@example.com')).find((m) => m.raw.includes(`Subject: carrier ${label}`));
        assert.ok(carrier, 'the carrier message was delivered');
        assert.ok(carrier.raw.includes('MAIL FROM:<ceo@example.com>'), 'the smuggled commands are message content');
        assert.ok(!BARE.test(carrier.raw), 'no bare CR or LF reaches the mailbox');
        assert.ok(!(await mta.inbox('bob@example.com')).some((m) => m.raw.includes(`smuggled ${label}`)), 'bob received nothing');
      });
    }

    it('a dot line sent dot-stuffed in its own segment at the start of DATA is content, not the end', async () => {
      const { replies, extra } = await transaction(mta, ['..\r\n', 'MAIL FROM:<ceo@example.com>\r\n', 'Subject: dot first\r\n\r\nbody\r\n', '.\r\n']);
      assert.match(replies[0]!, /^250 /);
      assert.deepEqual(extra, []);
    });

    it('the real CRLF.CRLF split over segments still ends the message exactly once', async () => {
      const { replies, extra } = await transaction(mta, ['Subject: split end\r\n\r\nbody\r', '\n', '.', '\r', '\n']);
      assert.match(replies[0]!, /^250 /);
      assert.deepEqual(extra, []);
      const raw = (await mta.inbox('alice@example.com')).find((m) => m.raw.includes('Subject: split end'))?.raw ?? '';
      assert.match(raw, /\r\n\r\nbody\r\n$/);
    });

    it('lines starting with a dot arrive with their dot (stuffed on the way in, unstuffed once, re-stuffed for LMTP)', async () => {
      const { replies } = await transaction(mta, 'Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n.\r\n');
      assert.match(replies[0]!, /^250 /);
      const raw = (await mta.inbox('alice@example.com')).find((m) => m.raw.includes('Subject: dots'))?.raw ?? '';
      assert.match(raw, /\r\n\.leading dot\r\n\.\.two dots\r\n$/);
    });
  });
}

describe('SMTP smuggling probes with smtpd.forbid_bare_newline = reject', { timeout: 180_000 }, () => {
  let mta: MtaInstance;
  before(async () => {
    mta = await startMtaInstance('sqlite', { settings: [['smtpd.forbid_bare_newline', '"reject"']] });
    await mta.addUser('alice@example.com', 'pw');
    await mta.addUser('bob@example.com', 'pw');
  });
  after(() => mta?.stop());

  for (const [label, terminator] of PROBES) {
    it(`${label} gets 550 5.5.2 and nothing is delivered`, async () => {
      const { replies, extra } = await transaction(mta, smuggle(label, terminator));
      assert.equal(replies[0], '550 5.5.2 Error: bare <CR> or <LF> received');
      assert.deepEqual(extra, []);
      assert.equal((await mta.inbox('alice@example.com')).length, 0);
      assert.equal((await mta.inbox('bob@example.com')).length, 0);
    });
  }

  it('a clean message still goes through', async () => {
    const { replies } = await transaction(mta, 'Subject: clean\r\n\r\nno bare newlines here\r\n.\r\n');
    assert.match(replies[0]!, /^250 /);
    assert.equal((await mta.inbox('alice@example.com')).length, 1);
  });
});
