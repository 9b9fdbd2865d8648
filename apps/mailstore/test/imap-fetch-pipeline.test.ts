// A client pipelining one UID FETCH per message (RFC 3501 §5.5; mbsync's first sync): every command answered
// in order with the message's exact bytes, the store read in batches, and nothing stale served from a batch.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Store } from '@postern/store';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';
import type { WireClient } from './imap-wire.js';

const MESSAGES = 40;

/** Sends the commands in one write and reads until every tag is answered: each tag's untagged lines and tagged line. */
async function pipeline(wire: WireClient, commands: [tag: string, command: string][]): Promise<Map<string, { untagged: string[]; tagged: string }>> {
  wire.write(commands.map(([tag, command]) => `${tag} ${command}\r\n`).join(''));
  const answers = new Map<string, { untagged: string[]; tagged: string }>();
  let untagged: string[] = [];
  while (answers.size < commands.length) {
    const line = await wire.line(20_000);
    const tag = commands.find(([candidate]) => line.startsWith(`${candidate} `))?.[0];
    if (!tag) {
      untagged.push(line);
      continue;
    }
    // RFC 3501 §5.5: responses come in the order of the commands.
    assert.equal(tag, commands[answers.size]![0], `tagged responses in command order (got ${line})`);
    answers.set(tag, { untagged, tagged: line });
    untagged = [];
  }
  return answers;
}

/** Counts the calls of one store method (on the store object the service uses) while `run` runs. */
async function counting<T>(store: Store, method: 'listMessages' | 'getMailboxById' | 'readMessage', run: () => Promise<T>): Promise<{ result: T; calls: number }> {
  const target = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = target[method]!;
  let calls = 0;
  target[method] = function (this: unknown, ...args: unknown[]) {
    calls++;
    return original.apply(this, args);
  };
  try {
    return { result: await run(), calls };
  } finally {
    target[method] = original;
  }
}

describeOnBackends('IMAP pipelined UID FETCH', { config: { smtpd: { message_size_limit: '1M' } } }, (suite) => {
  let fx: ImapFixture;
  const messages: Buffer[] = [];
  /** 300 KB: above what is read ahead per message, so it is read when its own FETCH runs. */
  const big = simpleMessage(0, { subject: 'Big', body: 'A long line of a big message body.\r\n'.repeat(8600) });

  before(async () => {
    ({ fx } = suite);
    const wire = await loginWire(fx);
    await wire.command('CREATE Pull');
    for (let n = 1; n <= MESSAGES; n++) {
      messages.push(n === 20 ? big : simpleMessage(n));
      const appended = await wire.append('Pull', messages[n - 1]!);
      assert.equal(appended.status, 'OK', appended.tagged);
    }
    wire.close();
  });

  test('one UID FETCH (BODY.PEEK[]) per message: each answered in order with its exact bytes, the store read in batches', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('SELECT Pull')).status, 'OK');
    const commands = messages.map((_, i): [string, string] => [`P${i + 1}`, `UID FETCH ${i + 1} (BODY.PEEK[])`]);
    const listed = await counting(fx.ctx.store, 'listMessages', () => counting(fx.ctx.store, 'getMailboxById', () => pipeline(wire, commands)));
    const answers = listed.result.result;
    messages.forEach((raw, i) => {
      const answer = answers.get(`P${i + 1}`)!;
      assert.match(answer.tagged, / OK /);
      assert.deepEqual(answer.untagged, [`* ${i + 1} FETCH (BODY[] {${raw.length}}\r\n${raw.toString('binary')} UID ${i + 1})`], `message ${i + 1}`);
    });
    // Without reading ahead: one listMessages and one getMailboxById per command (40 each).
    assert.ok(listed.calls <= 8, `listMessages called ${listed.calls} times for ${MESSAGES} pipelined FETCHes`);
    // The first FETCH reads the mailbox row; the journal poller may read it meanwhile too.
    assert.ok(listed.result.calls <= 4, `getMailboxById called ${listed.result.calls} times`);
    // BODY.PEEK[] sets no flag (RFC 3501 §6.4.5).
    const flags = await wire.command('UID FETCH 1:3 (FLAGS)');
    assert.ok(flags.untagged.every((line) => !line.includes('\\Seen')), flags.untagged.join('\n'));
    wire.close();
  });

  test('a STORE, a BODY[] that sets \\Seen and an EXPUNGE inside the pipeline are seen by the FETCHes after them', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('SELECT Pull')).status, 'OK');
    const answers = await pipeline(wire, [
      ['A1', 'UID FETCH 1 (BODY.PEEK[])'],
      ['A2', 'UID FETCH 2 (BODY.PEEK[])'],
      ['A3', 'UID STORE 3 +FLAGS.SILENT (\\Flagged)'],
      ['A4', 'UID FETCH 3 (FLAGS BODY.PEEK[])'],
      ['A5', 'UID FETCH 4 (BODY[])'],
      ['A6', 'UID FETCH 4 (FLAGS)'],
      ['A7', 'UID STORE 5 +FLAGS.SILENT (\\Deleted)'],
      ['A8', 'EXPUNGE'],
      ['A9', 'UID FETCH 5 (BODY.PEEK[])'],
      ['A10', 'UID FETCH 6 (BODY.PEEK[])'],
    ]);
    for (const [tag, answer] of answers) assert.match(answer.tagged, new RegExp(`^${tag} OK `));
    assert.deepEqual(answers.get('A1')!.untagged, [`* 1 FETCH (BODY[] {${messages[0]!.length}}\r\n${messages[0]!.toString('binary')} UID 1)`]);
    // FLAGS are read as the FETCH runs: the STORE before it shows.
    assert.match(answers.get('A4')!.untagged[0]!, /^\* 3 FETCH \(FLAGS \([^)]*\\Flagged[^)]*\) BODY\[\] \{/);
    // BODY[] (not PEEK) sets \Seen (RFC 3501 §6.4.5) and the FETCH says so.
    assert.match(answers.get('A5')!.untagged.join('\n'), /\\Seen/);
    assert.match(answers.get('A6')!.untagged[0]!, /^\* 4 FETCH \(FLAGS \([^)]*\\Seen[^)]*\) UID 4\)$/);
    assert.deepEqual(answers.get('A8')!.untagged, ['* 5 EXPUNGE']);
    // The expunged UID is no longer answered; the next message has moved up to sequence number 5.
    assert.deepEqual(answers.get('A9')!.untagged, []);
    assert.deepEqual(answers.get('A10')!.untagged, [`* 5 FETCH (BODY[] {${messages[5]!.length}}\r\n${messages[5]!.toString('binary')} UID 6)`]);
    wire.close();
  });

  test('a message larger than the read-ahead bound, between small ones, is answered whole', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('EXAMINE Pull')).status, 'OK');
    const uids = [18, 19, 20, 21, 22];
    const answers = await pipeline(wire, uids.map((uid): [string, string] => [`B${uid}`, `UID FETCH ${uid} (RFC822.SIZE BODY.PEEK[])`]));
    for (const uid of uids) {
      const raw = messages[uid - 1]!;
      const line = answers.get(`B${uid}`)!.untagged[0]!;
      assert.ok(line.includes(`RFC822.SIZE ${raw.length} BODY[] {${raw.length}}\r\n${raw.toString('binary')}`), `UID ${uid} (${raw.length} bytes)`);
    }
    wire.close();
  });
});
