// THREAD (RFC 5256) and SEARCHRES (RFC 5182): dialogues after the RFCs' examples, adapted to crafted messages, on both stores.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { prepareMessage } from '../src/message/index.js';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import type { WireClient } from './imap-wire.js';

interface Crafted {
  subject: string;
  date: string;
  id: string;
  references?: string;
  inReplyTo?: string;
  from?: string;
}

function crafted(message: Crafted): Buffer {
  return Buffer.from(
    [
      `From: ${message.from ?? 'Fred Foobar <foobar@blurdybloop.example>'}`,
      'To: mooch@owatagu.example',
      `Subject: ${message.subject}`,
      `Date: ${message.date}`,
      `Message-ID: <${message.id}@blurdybloop.example>`,
      ...(message.references ? [`References: ${message.references}`] : []),
      ...(message.inReplyTo ? [`In-Reply-To: ${message.inReplyTo}`] : []),
      '',
      `About ${message.subject}.`,
      '',
    ].join('\r\n'),
  );
}

const ref = (id: string): string => `<${id}@blurdybloop.example>`;

/**
 * Sequence numbers 1-9 (UIDs 2-10: the first message is expunged). Budget
 * starts earliest; Lunch gets two replies and a second "Lunch" without
 * references; Holiday's first message is missing; a "Re: Budget" has no
 * references at all; one reply names a missing message between it and Budget.
 */
const THREAD_MAILBOX: Crafted[] = [
  { subject: 'Lunch', date: 'Sun, 1 Mar 2026 10:00:00 +0000', id: 'lunch' },
  { subject: 'Re: Lunch', date: 'Sun, 1 Mar 2026 11:00:00 +0000', id: 'lunch-r1', inReplyTo: ref('lunch') },
  { subject: 'Budget', date: 'Sat, 28 Feb 2026 09:00:00 +0000', id: 'budget' },
  { subject: 'Re: Lunch', date: 'Sun, 1 Mar 2026 10:30:00 +0000', id: 'lunch-r2', references: ref('lunch') },
  { subject: 'Re: Budget', date: 'Mon, 2 Mar 2026 09:00:00 +0000', id: 'budget-r1', references: `${ref('budget')}\r\n ${ref('lost')}` },
  { subject: 'Re: Holiday', date: 'Tue, 3 Mar 2026 09:00:00 +0000', id: 'holiday-r1', references: ref('holiday') },
  { subject: 'RE: holiday', date: 'Tue, 3 Mar 2026 12:00:00 +0100', id: 'holiday-r2', references: ref('holiday'), from: 'Smith <smith@example.net>' },
  { subject: 'Re: Budget', date: 'Wed, 4 Mar 2026 09:00:00 +0000', id: 'budget-r2' },
  { subject: 'Lunch', date: 'Thu, 5 Mar 2026 09:00:00 +0000', id: 'lunch-2' },
];

async function untaggedOf(wire: WireClient, command: string, kind: string): Promise<string[]> {
  const result = await wire.command(command);
  assert.equal(result.status, 'OK', `${command}: ${result.tagged}`);
  return result.untagged.filter((line) => line.startsWith(`* ${kind}`));
}

describeOnBackends('THREAD and SEARCHRES after RFC 5256 and RFC 5182', {}, (suite) => {
  let fx: ImapFixture;
  let wire: WireClient;

  before(async () => {
    ({ fx } = suite);
    wire = await loginWire(fx);
    await wire.command('CREATE Threads');
    assert.equal((await wire.append('Threads', crafted({ subject: 'filler', date: 'Sun, 1 Feb 2026 00:00:00 +0000', id: 'filler' }), '(\\Deleted)')).status, 'OK');
    for (const message of THREAD_MAILBOX) assert.equal((await wire.append('Threads', crafted(message))).status, 'OK');
    await wire.command('SELECT Threads');
    assert.equal((await wire.command('EXPUNGE')).status, 'OK');
  });

  test('CAPABILITY advertises THREAD=ORDEREDSUBJECT, THREAD=REFERENCES and SEARCHRES', async () => {
    const caps = (await untaggedOf(wire, 'CAPABILITY', 'CAPABILITY'))[0]!.split(' ');
    for (const name of ['THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES', 'SEARCHRES']) assert.ok(caps.includes(name), name);
  });

  test('RFC 5256 §3 ORDEREDSUBJECT: one thread per base subject, the first message by sent date its root', async () => {
    assert.deepEqual(await untaggedOf(wire, 'THREAD ORDEREDSUBJECT UTF-8 ALL', 'THREAD'), ['* THREAD (3 (5)(8))(1 (4)(2)(9))(6 7)']);
    // RFC 5256 §3's second example: nothing matches, an empty THREAD response.
    assert.deepEqual(await untaggedOf(wire, 'THREAD ORDEREDSUBJECT us-ascii TEXT "gewp"', 'THREAD'), ['* THREAD']);
  });

  test('RFC 5256 §3 REFERENCES: References and In-Reply-To, a missing parent, subject merges ("Re: Budget" under "Budget", two "Lunch" under a dummy)', async () => {
    assert.deepEqual(await untaggedOf(wire, 'THREAD REFERENCES UTF-8 ALL', 'THREAD'), ['* THREAD (3 (5)(8))((1 (4)(2))(9))((6)(7))']);
    // Only the messages sent since 2 March: two replies to Budget of equal standing meet under a dummy.
    assert.deepEqual(await untaggedOf(wire, 'THREAD REFERENCES UTF-8 SENTSINCE 2-Mar-2026', 'THREAD'), ['* THREAD ((5)(8))((6)(7))(9)']);
  });

  test('RFC 5256 §3: UID THREAD answers UIDs, THREAD sequence numbers; the search keys select', async () => {
    assert.deepEqual(await untaggedOf(wire, 'UID THREAD REFERENCES UTF-8 ALL', 'THREAD'), ['* THREAD (4 (6)(9))((2 (5)(3))(10))((7)(8))']);
    assert.deepEqual(await untaggedOf(wire, 'UID THREAD ORDEREDSUBJECT US-ASCII NOT FROM smith', 'THREAD'), ['* THREAD (4 (6)(9))(2 (5)(3)(10))(7)']);
    assert.deepEqual(await untaggedOf(wire, 'THREAD REFERENCES UTF-8 UID 2:5', 'THREAD'), ['* THREAD (3)(1 (4)(2))']);
  });

  test('RFC 5256 §3, RFC 3501 §6.4.4: an unknown algorithm or missing arguments are BAD, an unknown charset NO [BADCHARSET]', async () => {
    assert.equal((await wire.command('THREAD SUBJECT UTF-8 ALL')).status, 'BAD');
    assert.equal((await wire.command('THREAD REFERENCES UTF-8')).status, 'BAD');
    assert.equal((await wire.command('THREAD REFERENCES')).status, 'BAD');
    assert.equal((await wire.command('THREAD REFERENCES UTF-8 NOSUCHKEY')).status, 'BAD');
    assert.match((await wire.command('THREAD REFERENCES KOI8-R ALL')).tagged, /NO \[BADCHARSET/);
    const other = await loginWire(fx);
    assert.equal((await other.command('THREAD REFERENCES UTF-8 ALL')).status, 'BAD');
    other.close();
  });

  test('RFC 5182 §4 example 1: SEARCH RETURN (SAVE) answers no untagged response, FETCH $ fetches what it found', async () => {
    await wire.command('STORE 2,4 +FLAGS (\\Flagged)');
    const save = await wire.command('SEARCH RETURN (SAVE) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"');
    assert.equal(save.status, 'OK');
    assert.deepEqual(save.untagged, []);
    const fetched = await untaggedOf(wire, 'FETCH $ (UID FLAGS)', '');
    assert.deepEqual(
      fetched.filter((line) => / FETCH /.test(line)),
      ['* 2 FETCH (UID 3 FLAGS (\\Flagged \\Recent))', '* 4 FETCH (UID 5 FLAGS (\\Flagged \\Recent))'],
    );
    // The same messages by UID.
    assert.deepEqual(await untaggedOf(wire, 'UID SEARCH UID $', 'SEARCH'), ['* SEARCH 3 5']);
  });

  test('RFC 5182 §4 example 2: UID SEARCH UID $ SMALLER narrows the saved result; $ as a sequence set in SEARCH, OR and NOT', async () => {
    assert.equal((await wire.command('SEARCH RETURN (SAVE) SENTSINCE 1-Mar-2026 NOT FROM "Smith"')).status, 'OK');
    assert.deepEqual(await untaggedOf(wire, 'UID SEARCH UID $ SMALLER 4096', 'SEARCH'), ['* SEARCH 2 3 5 6 7 9 10']);
    assert.deepEqual(await untaggedOf(wire, 'SEARCH NOT $', 'SEARCH'), ['* SEARCH 3 7']);
    assert.deepEqual(await untaggedOf(wire, 'SEARCH OR $ SUBJECT budget', 'SEARCH'), ['* SEARCH 1 2 3 4 5 6 8 9']);
    // THREAD and SORT take $ in their search keys too.
    assert.deepEqual(await untaggedOf(wire, 'THREAD ORDEREDSUBJECT UTF-8 $ SUBJECT budget', 'THREAD'), ['* THREAD (5 8)']);
  });

  test('RFC 5182 §2.1: SAVE beside MIN/MAX keeps only those; beside ALL or COUNT every match; the ESEARCH answer is unchanged', async () => {
    assert.match((await untaggedOf(wire, 'SEARCH RETURN (MIN MAX SAVE) SUBJECT lunch', 'ESEARCH')).join('\n'), /^\* ESEARCH \(TAG "T\d+"\) MIN 1 MAX 9$/);
    assert.deepEqual(await untaggedOf(wire, 'SEARCH $', 'SEARCH'), ['* SEARCH 1 9']);
    assert.match((await untaggedOf(wire, 'UID SEARCH RETURN (SAVE MIN) SUBJECT lunch', 'ESEARCH')).join('\n'), /^\* ESEARCH \(TAG "T\d+"\) UID MIN 2$/);
    assert.deepEqual(await untaggedOf(wire, 'SEARCH $', 'SEARCH'), ['* SEARCH 1']);
    assert.match((await untaggedOf(wire, 'SEARCH RETURN (COUNT SAVE) SUBJECT lunch', 'ESEARCH')).join('\n'), /^\* ESEARCH \(TAG "T\d+"\) COUNT 4$/);
    assert.deepEqual(await untaggedOf(wire, 'SEARCH $', 'SEARCH'), ['* SEARCH 1 2 4 9']);
  });

  test('RFC 5182 §2.1: a SEARCH with SAVE that ends in NO empties $, one that ends in BAD leaves it; an empty $ matches nothing and every command completes OK', async () => {
    assert.equal((await wire.command('SEARCH RETURN (SAVE) SUBJECT holiday')).status, 'OK');
    assert.equal((await wire.command('SEARCH RETURN (SAVE) NOSUCHKEY')).status, 'BAD');
    assert.equal((await wire.command('SEARCH RETURN (BOGUS SAVE) ALL')).status, 'BAD');
    assert.deepEqual(await untaggedOf(wire, 'SEARCH $', 'SEARCH'), ['* SEARCH 6 7']);
    assert.match((await wire.command('SEARCH RETURN (SAVE) CHARSET KOI8-R ALL')).tagged, /NO \[BADCHARSET/);
    assert.deepEqual(await untaggedOf(wire, 'SEARCH $', 'SEARCH'), ['* SEARCH']);
    for (const command of ['FETCH $ (FLAGS)', 'UID FETCH $ (FLAGS)', 'STORE $ +FLAGS (\\Seen)', 'UID STORE $ +FLAGS (\\Seen)', 'COPY $ Threads', 'UID MOVE $ Threads', 'UID EXPUNGE $']) {
      const result = await wire.command(command);
      assert.equal(result.status, 'OK', command);
      assert.deepEqual(result.untagged.filter((line) => / FETCH | EXPUNGE| EXISTS/.test(line)), [], command);
    }
    assert.deepEqual(await untaggedOf(wire, 'UID SEARCH UID $', 'SEARCH'), ['* SEARCH']);
  });

  test('RFC 5182 §2.1: STORE, COPY and MOVE take $; an expunged message drops out of it; SELECT empties it', async () => {
    await wire.command('CREATE Saved');
    for (const n of [1, 2, 3, 4]) await wire.append('Saved', crafted({ subject: `saved ${n}`, date: 'Mon, 2 Mar 2026 09:00:00 +0000', id: `saved-${n}` }));
    await wire.command('SELECT Saved');
    assert.equal((await wire.command('SEARCH RETURN (SAVE) SUBJECT saved NOT SUBJECT "saved 1"')).status, 'OK');
    const store = await wire.command('STORE $ +FLAGS.SILENT (\\Deleted)');
    assert.equal(store.status, 'OK');
    assert.deepEqual(await untaggedOf(wire, 'SEARCH DELETED', 'SEARCH'), ['* SEARCH 2 3 4']);
    assert.match((await wire.command('COPY $ Threads')).tagged, /OK \[COPYUID \d+ 2:4 \d+:\d+\]/);
    await wire.command('UID STORE 3 -FLAGS.SILENT (\\Deleted)');
    assert.equal((await wire.command('EXPUNGE')).status, 'OK');
    // UIDs 2 and 4 are gone: $ still holds UID 3, now sequence number 2.
    assert.deepEqual(await untaggedOf(wire, 'FETCH $ (UID)', '').then((lines) => lines.filter((line) => / FETCH /.test(line))), ['* 2 FETCH (UID 3)']);
    const moved = await wire.command('MOVE $ Threads');
    assert.match(moved.untagged.join('\n'), /COPYUID \d+ 3 \d+/);
    await wire.command('SEARCH RETURN (SAVE) ALL');
    assert.deepEqual(await untaggedOf(wire, 'SEARCH $', 'SEARCH'), ['* SEARCH 1']);
    assert.equal((await wire.command('SELECT Saved')).status, 'OK');
    assert.deepEqual(await untaggedOf(wire, 'SEARCH $', 'SEARCH'), ['* SEARCH']);
    await wire.command('SEARCH RETURN (SAVE) ALL');
    await wire.command('UNSELECT');
    await wire.command('EXAMINE Saved');
    assert.deepEqual(await untaggedOf(wire, 'UID SEARCH UID $', 'SEARCH'), ['* SEARCH']);
    await wire.command('SELECT Threads');
  });
});

/**
 * 1,000 deep by default: filling the mailbox is what costs (10,000 appends
 * took 4-40 s on SQLite depending on the machine's load, and 8 minutes on the
 * in-memory MongoDB test server, each of whose inserts costs more the larger
 * the collection: every query of an append is indexed, see
 * packages/store/test/mongodb-indexed-appends.test.ts and
 * apps/mailstore/bench/append-growth.ts).
 * THREAD_DEPTH=10000 runs 10,000; the threading of a 10,000-deep chain is
 * also in imap-thread-units.
 */
describeOnBackends('THREAD over a deep References chain', {}, (suite) => {
  test('answers THREAD REFERENCES with one thread as deep as the mailbox, and the event loop keeps turning', async (t) => {
    const { fx, store } = suite;
    const DEPTH = Number(process.env.THREAD_DEPTH ?? 1_000);
    const user = await store.getUser('alice@example.com');
    const mailbox = await store.createMailbox(user!.id, 'Deep');
    const filling = performance.now();
    const raw = (n: number): Buffer => {
      const parent = n === 0 ? {} : { references: ref(`deep-${n - 1}`), inReplyTo: ref(`deep-${n - 1}`) };
      const date = new Date(Date.UTC(2026, 0, 1) + n * 60_000).toUTCString().replace('GMT', '+0000');
      return crafted({ subject: n === 0 ? 'deep' : 'Re: deep', date, id: `deep-${n}`, ...parent });
    };
    // The chain runs by sent date; the UIDs come in whatever order concurrent appends finish.
    const BATCH = 64;
    for (let n = 0; n < DEPTH; n += BATCH) {
      await Promise.all(Array.from({ length: Math.min(BATCH, DEPTH - n) }, (_, i) => store.appendMessage(mailbox.id, prepareMessage(raw(n + i)))));
    }
    t.diagnostic(`${DEPTH} messages stored in ${(performance.now() - filling).toFixed(0)} ms`);
    const wire = await loginWire(fx);
    await wire.command('SELECT Deep', { timeoutMs: 60_000 });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    const result = await wire.command('THREAD REFERENCES UTF-8 ALL', { timeoutMs: 60_000 });
    const elapsed = performance.now() - started;
    delay.disable();
    t.diagnostic(`THREAD REFERENCES over ${DEPTH} chained messages: ${elapsed.toFixed(0)} ms, longest event-loop stall ${(delay.max / 1e6).toFixed(0)} ms`);
    assert.equal(result.status, 'OK');
    // One thread, every message once, a chain without siblings: `(a b c …)`.
    const line = result.untagged.find((text) => text.startsWith('* THREAD'))!;
    assert.match(line, /^\* THREAD \((\d+ )*\d+\)$/);
    assert.deepEqual(
      line.slice(10, -1).split(' ').map(Number).sort((a, b) => a - b),
      Array.from({ length: DEPTH }, (_, i) => i + 1),
    );
    const ordered = await wire.command('THREAD ORDEREDSUBJECT UTF-8 ALL', { timeoutMs: 60_000 });
    assert.equal(ordered.status, 'OK');
    assert.ok(delay.max / 1e6 < 1000, `event loop stalled ${delay.max / 1e6} ms`);
    wire.close();
  });
});
