// `postern sendmail` (SPEC §3): the sendmail(1) command line and message
// completion as tables, then the built CLI submitting to a real `postern
// start` on both store backends, the mail found in the users' INBOX.
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { parseSendmailArgs, SendmailUsageError, type SendmailArgs } from '../../apps/cli/src/sendmail/args.js';
import { rfc5322Date } from '@postern/address';
import { completeMessage, submittedLines, type CompletionOptions } from '../../apps/cli/src/sendmail/message.js';
import { startDnsServer, type DnsTestServer } from '../support/dns-server.js';
import { startInstance, type PosternInstance, type StoredMessage } from '../support/instance.js';

function assertOneLineError(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, `expected exit 1, got ${result.code}: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', pattern);
}

const NONE: SendmailArgs = { extractRecipients: false, from: null, fullName: null, ignoreDots: false, recipients: [] };

describe('sendmail command line (getopt, as Postfix sendmail reads it)', () => {
  const cases: [string[], Partial<SendmailArgs>][] = [
    [['alice@example.com'], { recipients: ['alice@example.com'] }],
    [['-t', '-i'], { extractRecipients: true, ignoreDots: true }],
    [['-ti'], { extractRecipients: true, ignoreDots: true }],
    [['-oi', 'a@example.com'], { ignoreDots: true, recipients: ['a@example.com'] }],
    [['-odi', '-oem', '-oQ/var/spool', '-oi'], { ignoreDots: true }],
    [['-odi', '-oem'], {}],
    [['-fbob@example.com', '-F', 'Bob Builder', 'a@example.com'], { from: 'bob@example.com', fullName: 'Bob Builder', recipients: ['a@example.com'] }],
    [['-f', 'bob@example.com', '-FBob'], { from: 'bob@example.com', fullName: 'Bob' }],
    [['-r', 'bob@example.com'], { from: 'bob@example.com' }],
    [['-f', ''], { from: '' }],
    [['-bm', '-v', '-N', 'never', '-V', 'envid', '-R', 'hdrs', '-B', '8BITMIME', 'a@example.com'], { recipients: ['a@example.com'] }],
    [['a@example.com', '-t', 'b@example.com'], { extractRecipients: true, recipients: ['a@example.com', 'b@example.com'] }],
    [['-i', '--', '-t', 'x@example.com'], { ignoreDots: true, recipients: ['-t', 'x@example.com'] }],
  ];
  for (const [argv, expected] of cases) {
    it(`reads ${JSON.stringify(argv)}`, () => {
      assert.deepEqual(parseSendmailArgs(argv), { ...NONE, ...expected });
    });
  }

  const refused: [string[], RegExp][] = [
    [['-x'], /unknown option -x/],
    [['--verbose'], /unknown option --verbose/],
    [['-bp'], /-bp is not supported/],
    [['-q'], /needs a value/],
    [['-q30m'], /-q30m is not supported.*queue flush/],
    [['-f'], /option -f needs a value/],
  ];
  for (const [argv, message] of refused) {
    it(`refuses ${JSON.stringify(argv)} as bad usage`, () => {
      assert.throws(() => parseSendmailArgs(argv), (err: unknown) => err instanceof SendmailUsageError && message.test(err.message));
    });
  }
});

describe('sendmail message completion (what cleanup does to local submissions)', () => {
  const now = new Date(Date.UTC(2026, 10, 10, 9, 30, 5));
  const options: CompletionOptions = { from: 'root@mail.example.com', fullName: null, hostname: 'mail.example.com', now };
  const complete = (text: string, overrides: Partial<CompletionOptions> = {}) => {
    const result = completeMessage(submittedLines(Buffer.from(text, 'latin1'), false), { ...options, ...overrides });
    return { text: result.message.toString('latin1'), recipients: result.headerRecipients };
  };

  it('reads LF and CRLF lines alike and ends every line with CRLF', () => {
    assert.deepEqual(submittedLines(Buffer.from('a\nb\r\nc'), false), ['a', 'b', 'c']);
    assert.deepEqual(submittedLines(Buffer.from('a\r\n\r\n'), false), ['a', '']);
    assert.doesNotMatch(complete('Subject: x\n\nline\nline\n').text, /[^\r]\n/);
  });

  it('ends the input at a line holding a single dot, unless told to ignore dots', () => {
    assert.deepEqual(submittedLines(Buffer.from('a\n..b\n.\nc\n'), false), ['a', '..b']);
    assert.deepEqual(submittedLines(Buffer.from('a\n.\r\nc\n'), false), ['a']);
    assert.deepEqual(submittedLines(Buffer.from('a\n.\nc\n'), true), ['a', '.', 'c']);
  });

  it('adds From, Date and Message-ID at the end of the header section when they are missing', () => {
    const { text } = complete('Subject: hello\nTo: a@example.com\n\nbody\n');
    assert.match(text, /^Subject: hello\r\nTo: a@example\.com\r\nFrom: root@mail\.example\.com\r\nDate: .+\r\nMessage-ID: <[0-9a-z]+\.[0-9a-f]{16}@mail\.example\.com>\r\n\r\nbody\r\n$/);
    assert.match(text, new RegExp(`^Date: ${rfc5322Date(now, 'local').replace('+', '\\+')}\r$`, 'm'));
    assert.match(rfc5322Date(now, 'local'), /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/);
  });

  it('keeps the From, Date and Message-ID the message has', () => {
    const original = 'From: Alice <alice@example.com>\nDate: Mon, 5 Jan 2026 07:08:09 +0000\nMessage-Id: <own@example.com>\n\nbody\n';
    assert.equal(complete(original).text, original.replaceAll('\n', '\r\n'));
  });

  it('writes -F as the display name: plain, quoted when it has specials, encoded-words beyond ASCII', () => {
    assert.match(complete('\nbody\n', { fullName: 'Cron Daemon' }).text, /^From: Cron Daemon <root@mail\.example\.com>\r$/m);
    assert.match(complete('\nbody\n', { fullName: 'Doe, "J"' }).text, /^From: "Doe, \\"J\\"" <root@mail\.example\.com>\r$/m);
    assert.match(complete('\nbody\n', { fullName: 'Jürgen' }).text, /^From: =\?UTF-8\?B\?SsO8cmdlbg==\?= <root@mail\.example\.com>\r$/m);
  });

  it('takes the recipients of To, Cc and Bcc (folded, with names and groups) and removes Bcc with its continuation', () => {
    const { text, recipients } = complete('To: "Doe, John" <john@example.com>,\n  team: a@example.com, b@example.com;\nCc: c@example.com\nBcc: hidden@example.com,\n\tsecret@example.com\nSubject: s\n\nbody\n');
    assert.deepEqual(recipients, ['john@example.com', 'a@example.com', 'b@example.com', 'c@example.com', 'hidden@example.com', 'secret@example.com']);
    assert.doesNotMatch(text, /Bcc|hidden|secret/);
    assert.match(text, /^To: "Doe, John" <john@example\.com>,\r\n {2}team: a@example\.com, b@example\.com;\r\nCc: c@example\.com\r\nSubject: s\r\n/);
  });

  it('takes bare local names from To and Cc as addresses ("To: root", as mailutils and cron write it)', () => {
    assert.deepEqual(complete('To: root, Bob <bob@example.com>\nCc: root (Cron Daemon), "Doe, J" <j@example.com>, Ops <ops>\n\nbody\n').recipients, ['root', 'bob@example.com', 'root', 'j@example.com', 'ops']);
  });

  it('puts an empty line before a body that starts without headers, and drops an mbox "From " line', () => {
    assert.match(complete('just a line of text\nand another\n').text, /^From: root@mail\.example\.com\r\nDate: .+\r\nMessage-ID: .+\r\n\r\njust a line of text\r\nand another\r\n$/);
    assert.match(complete('From root Mon Nov 10 09:00:00 2026\nSubject: mbox\n\nbody\n').text, /^Subject: mbox\r\nFrom: root@/);
  });

  it('passes 8-bit bytes through unchanged', () => {
    const body = Buffer.from('Subject: 8bit\n\nGrüße — ok\n', 'utf8');
    const { message } = completeMessage(submittedLines(body, false), options);
    assert.ok(message.includes(Buffer.from('\r\n\r\nGrüße — ok\r\n', 'utf8')));
  });
});

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern sendmail into postern start on ${backend}`, { timeout: 120_000 }, () => {
    let dns: DnsTestServer;
    let server: PosternInstance<'smtp' | 'lmtp' | 'imap'>;
    // myorigin: the hostname mail.example.com's nearest parent that is a local domain.
    const user = `${userInfo().username}@example.com`;
    const sendmail = (args: string[], input: string) => server.instance.run(['sendmail', ...args], { input });

    /** The newest message in the INBOX whose Subject matches (delivery is done before the 250, but give LMTP a moment). */
    async function received(address: string, subject: string): Promise<StoredMessage> {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = (await server.inbox(address)).findLast((m) => m.raw.includes(`\r\nSubject: ${subject}\r\n`));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`${address} got no message with Subject: ${subject}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    before(async () => {
      dns = await startDnsServer({});
      server = await startInstance(backend, { listen: ['smtp', 'lmtp', 'imap'], settings: [['dns.servers', `["${dns.address}"]`], ['dns.timeout_ms', '1000']] });
      console.log(`sendmail on ${backend}: ${server.instance.server}`);
      for (const address of ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com']) await server.addUser(address, 'sendmail test');
    });
    after(async () => {
      await server?.stop();
      await dns?.stop();
    });

    it('delivers to recipients given as arguments, adding From, Date and Message-ID, with the local user at myorigin as sender', async () => {
      const result = await sendmail(['alice@example.com'], 'Subject: from cron\nX-Job: backup\n\nThe nightly backup finished.\n');
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, '');
      const { raw } = await received('alice@example.com', 'from cron');
      assert.match(raw, new RegExp(`^Return-Path: <${user}>\r$`, 'm'));
      assert.match(raw, new RegExp(`^From: ${user}\r$`, 'm'));
      assert.match(raw, /^Date: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r$/m);
      assert.match(raw, /^Message-ID: <[0-9a-z]+\.[0-9a-f]{16}@mail\.example\.com>\r$/m);
      assert.match(raw, /^Received: by mail\.example\.com \(Postern, from userid \d+\)\r\n\tid [0-9a-f]{24}; /m, 'a local submission\'s trace field (Postfix pickup): no client');
      assert.match(raw, /\r\n\r\nThe nightly backup finished\.\r\n$/);
      assert.doesNotMatch(raw, /[^\r]\n/, 'every line ends with CRLF');
    });

    it('-f sets the envelope sender (Return-Path) and the added From, -F its display name', async () => {
      const result = await sendmail(['-f', 'bob@example.com', '-F', 'Bob Builder', 'alice@example.com'], 'Subject: with -f\n\nhello\n');
      assert.equal(result.code, 0, result.stderr);
      const { raw } = await received('alice@example.com', 'with -f');
      assert.match(raw, /^Return-Path: <bob@example\.com>\r$/m);
      assert.match(raw, /^From: Bob Builder <bob@example\.com>\r$/m);
    });

    it('-t takes recipients from To, Cc and Bcc plus the arguments, and no copy carries the Bcc', async () => {
      const message = 'From: Ops <ops@example.com>\nTo: Alice <alice@example.com>\nCc: bob@example.com\nBcc: carol@example.com\nSubject: with -t\n\nfor the team\n';
      const result = await sendmail(['-t', '-f', 'ops@example.com', 'dave@example.com'], message);
      assert.equal(result.code, 0, result.stderr);
      for (const address of ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com']) {
        const { raw } = await received(address, 'with -t');
        assert.match(raw, /^From: Ops <ops@example\.com>\r$/m, `${address}: the message's own From is kept`);
        assert.match(raw, /^To: Alice <alice@example\.com>\r\nCc: bob@example\.com\r\nSubject: with -t\r$/m);
        assert.doesNotMatch(raw, /^Bcc:/im, `${address}'s copy has no Bcc`);
      }
    });

    it('ends the message at a line with a single dot, but not with -i or -oi (sendmail.cf -o options ignored)', async () => {
      const input = (subject: string) => `Subject: ${subject}\n\nbefore\n..two dots stay\n.\nafter the dot\n`;
      assert.equal((await sendmail(['alice@example.com'], input('dot ends'))).code, 0);
      assert.match((await received('alice@example.com', 'dot ends')).raw, /\r\n\r\nbefore\r\n\.\.two dots stay\r\n$/);
      for (const flags of [['-i'], ['-odi', '-oem', '-oi']]) {
        const subject = `dots kept ${flags.join(' ')}`;
        const result = await sendmail([...flags, 'alice@example.com'], input(subject));
        assert.equal(result.code, 0, result.stderr);
        assert.match((await received('alice@example.com', subject)).raw, /\r\n\r\nbefore\r\n\.\.two dots stay\r\n\.\r\nafter the dot\r\n$/);
      }
    });

    it('refuses an unknown local user with one line naming the recipient, and queues nothing', async () => {
      assertOneLineError(await sendmail(['nobody@example.com'], 'Subject: to nobody\n\nx\n'), /^postern: nobody@example\.com: User unknown in virtual mailbox table: not sent$/);
      // Not a count: the previous test's entry may leave the queue meanwhile, just after its delivery.
      const queued = await server.store.listQueue();
      assert.deepEqual(queued.filter((entry) => entry.recipients.some((recipient) => recipient.address === 'nobody@example.com')), []);
    });

    it('names the refused recipient when others were accepted, and they got the message', async () => {
      const result = await sendmail(['alice@example.com', 'nobody@example.com'], 'Subject: half delivered\n\nx\n');
      assertOneLineError(result, /^postern: nobody@example\.com: User unknown in virtual mailbox table \(sent to the other 1 recipient\)$/);
      await received('alice@example.com', 'half delivered');
    });

    it('exits 2 when there is no recipient, or for an option sendmail does not have', async () => {
      for (const args of [[], ['-t'], ['-x', 'alice@example.com']]) {
        const result = await sendmail(args, 'Subject: nowhere\n\nx\n');
        assert.equal(result.code, 2, `${JSON.stringify(args)}: ${result.stderr}`);
      }
      assert.match((await sendmail([], 'Subject: x\n\nx\n')).stderr, /no recipients/);
    });
  });
}
