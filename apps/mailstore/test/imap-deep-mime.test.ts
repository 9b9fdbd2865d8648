// A stored message nesting multiparts or message/rfc822 parts thousands deep must not poison the mailbox
// (delivered here with smtpd.mime_nesting_limit raised, as a message stored before that limit existed).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { LmtpClient, sampleMessage } from './lmtp-client.js';
import { lmtpConfig, runLmtp, type RunningLmtp } from './lmtp-fixture.js';

/** Far past what a recursive walk survives (imap-core's overflowed at about 2,000 levels). */
const DEPTH = 5000;
/** Where parts stop being split, in imap-core's patched parser and in BODY[section] alike. */
const LIMIT = 100;

function nestedMultiparts(): string {
  let head = '';
  let tail = '';
  for (let i = 0; i < DEPTH; i++) {
    head += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
    tail = `\r\n--b${i}--${tail}`;
  }
  return `From: a@remote.example\r\nSubject: Deep multiparts\r\nDate: Mon, 06 Jan 2025 10:00:00 +0000\r\n${head}Content-Type: text/plain\r\n\r\ninnermost text${tail}\r\n`;
}

function nestedMessages(): string {
  const headers = 'Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n'.repeat(DEPTH);
  return `From: a@remote.example\r\nSubject: Deep messages\r\nDate: Mon, 06 Jan 2025 10:00:00 +0000\r\n${headers}\r\ninnermost body\r\n`;
}

describeOnBackends('IMAP with a message of deeply nested MIME parts', {}, (suite) => {
  let fx: ImapFixture;
  let lmtp: RunningLmtp;

  before(async () => {
    ({ fx } = suite);
    lmtp = await runLmtp(suite.store, lmtpConfig({ message_size_limit: '2M', mime_nesting_limit: DEPTH + 10 }));
    const { client } = await LmtpClient.open(lmtp.target);
    await client.lhlo();
    for (const message of [sampleMessage({ subject: 'Before' }), nestedMultiparts(), nestedMessages(), sampleMessage({ subject: 'After' })]) {
      const { data } = await client.send('sender@remote.example', ['alice@example.com'], message);
      assert.equal(data[0]?.code, 250, JSON.stringify(data));
    }
    await client.quit();
  });

  after(async () => {
    await lmtp?.service.close();
  });

  test('FETCH ENVELOPE and BODYSTRUCTURE answer for every message; parts past the limit are leaves', async (t) => {
    const wire = await loginWire(fx);
    await wire.command('SELECT INBOX');
    const started = Date.now();
    const fetched = await wire.command('FETCH 1:* (ENVELOPE BODYSTRUCTURE)', { timeoutMs: 30_000 });
    t.diagnostic(`FETCH 1:* (ENVELOPE BODYSTRUCTURE) with ${DEPTH} nested multiparts and messages: ${Date.now() - started} ms`);
    assert.equal(fetched.status, 'OK', fetched.tagged);
    assert.equal(fetched.untagged.length, 4);
    const multiparts = fetched.untagged[1]!;
    assert.equal(multiparts.match(/\) "MIXED" \("BOUNDARY" "b\d+"\)/g)?.length, LIMIT);
    // RFC 3501 §7.4.2: the unsplit multipart is a basic body of its own type, never an empty list.
    assert.doesNotMatch(multiparts, /\(\(\)/);
    assert.match(multiparts, /\("MULTIPART" "MIXED" \("BOUNDARY" "b100"\) NIL NIL "7BIT" \d+ /);
    // Encapsulated messages with their ENVELOPE while the parser's re-parse budget (4× the message) lasts, every
    // level re-reading the rest; the one past it is a basic MESSAGE/RFC822 part.
    const levels = fetched.untagged[2]!.match(/"MESSAGE" "RFC822" NIL NIL NIL "7BIT" \d+ \(/g)?.length ?? 0;
    assert.ok(levels >= 4 && levels <= LIMIT, `${levels} encapsulated levels`);
    assert.equal(fetched.untagged[2]!.match(/"MESSAGE" "RFC822" NIL NIL NIL "7BIT" \d+ NIL/g)?.length, 1);
    wire.close();
  });

  test('BODY[1.1…] down to the limit is the leaf BODYSTRUCTURE sizes, and deeper part numbers name the same leaf', async () => {
    const wire = await loginWire(fx);
    await wire.command('SELECT INBOX');
    const structure = (await wire.command('FETCH 2 (BODYSTRUCTURE)')).untagged[0]!;
    const size = Number(/\("MULTIPART" "MIXED" \("BOUNDARY" "b100"\) NIL NIL "7BIT" (\d+) /.exec(structure)?.[1]);
    for (const depth of [LIMIT, LIMIT + 5]) {
      const section = Array(depth).fill('1').join('.');
      const fetched = await wire.command(`FETCH 2 (BODY.PEEK[${section}]<0.30>)`, { timeoutMs: 30_000 });
      assert.equal(fetched.status, 'OK', fetched.tagged);
      assert.equal(fetched.untagged[0], `* 2 FETCH (BODY[${section}]<0> {30}\r\n--b100\r\nContent-Type: multipar)`);
    }
    const leaf = await wire.command(`FETCH 2 (BODY.PEEK[${Array(LIMIT).fill('1').join('.')}])`, { timeoutMs: 30_000 });
    assert.match(leaf.untagged[0]!, new RegExp(`\\{${size}\\}\\r\\n--b100\\r\\n`));
    wire.close();
  });

  test('SEARCH BODY, TEXT and HEADER work over the whole mailbox', async () => {
    const wire = await loginWire(fx);
    await wire.command('SELECT INBOX');
    for (const [keys, expected] of [
      ['BODY there', '1 4'],
      ['TEXT "deep"', '2 3'],
      ['SUBJECT after', '4'],
    ] as const) {
      const result = await wire.command(`SEARCH ${keys}`, { timeoutMs: 30_000 });
      assert.equal(result.status, 'OK', `${keys}: ${result.tagged}`);
      assert.deepEqual(result.untagged.filter((line) => line.startsWith('* SEARCH')), [`* SEARCH ${expected}`], keys);
    }
    wire.close();
  });
});
