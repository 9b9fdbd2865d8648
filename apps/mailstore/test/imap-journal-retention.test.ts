// Journal retention seen from IMAP: once the journal is pruned past what a client or a session knows,
// RFC 7162 CONDSTORE answers stay complete — CHANGEDSINCE from before the window lists every changed
// message, and a selected session whose position was pruned is resynchronised in full (EXPUNGE,
// FETCH FLAGS MODSEQ, EXISTS) rather than told part of the story.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { JournalPrunedError, type Mailbox, type Store } from '@postern/store';
import { JournalRetention } from '../src/journal-retention.js';
import { prepareMessage } from '../src/message/index.js';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';

/** The notifier never polls on its own: only the session's own commands ask the journal. */
const NO_POLL = 3_600_000;

describeOnBackends('IMAP over a pruned change journal', { pollMs: NO_POLL }, (suite) => {
  let fx: ImapFixture;
  let store: Store;

  before(() => {
    ({ fx, store } = suite);
  });

  /** A new folder of alice's with `count` messages appended straight into the store (no in-process notice). */
  async function folder(name: string, count: number): Promise<Mailbox> {
    const user = await store.getUser('alice@example.com');
    assert.ok(user);
    const mailbox = await store.createMailbox(user.id, name);
    for (let n = 1; n <= count; n++) await store.appendMessage(mailbox.id, prepareMessage(simpleMessage(n)));
    return mailbox;
  }

  test('a session whose journal position was pruned gets a full resync at its next command, then the journal again', async () => {
    const mailbox = await folder('Pruned1', 4);
    const watcher = await loginWire(fx);
    const select = await watcher.command('SELECT Pruned1 (CONDSTORE)');
    // The folder started at MODSEQ 1 (RFC 7162 §3.1.1): its appends took 2..5.
    assert.ok(select.untagged.includes('* OK [HIGHESTMODSEQ 5] Highest'), select.untagged.join('\n'));
    // Changes made elsewhere (another node): flag uid 2 (modseq 6), expunge uid 3 (7), a new uid 5 (8), flag uid 4 (9).
    await store.updateFlags(mailbox.id, [2], { op: 'add', flags: ['\\Flagged'] });
    await store.expungeMessages(mailbox.id, [3]);
    await store.appendMessage(mailbox.id, prepareMessage(simpleMessage(5)));
    await store.updateFlags(mailbox.id, [4], { op: 'add', flags: ['\\Seen'] });
    assert.equal(await store.pruneJournal(new Date(Date.now() + 60_000)), 7);
    await assert.rejects(store.readJournal(mailbox.id, 5), JournalPrunedError);

    // The notifier asks the journal when woken (here by hand, as an in-process delivery would).
    const heard = async (): Promise<void> => {
      fx.ctx.mailboxChanges.changed(mailbox.id);
      await new Promise((resolve) => setTimeout(resolve, 150));
    };
    await heard();
    const noop = await watcher.command('NOOP');
    assert.equal(noop.status, 'OK');
    // RFC 7162 §3.2.4: FETCH with MODSEQ for each changed message; RFC 3501 §7.4.1 EXPUNGE; §7.3.1 EXISTS.
    assert.deepEqual(noop.untagged, [
      '* 2 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (6))',
      '* 4 FETCH (FLAGS (\\Seen \\Recent) MODSEQ (9))',
      '* 3 EXPUNGE',
      '* 4 EXISTS',
    ]);
    const uids = await watcher.command('UID SEARCH ALL');
    assert.deepEqual(uids.untagged, ['* SEARCH 1 2 4 5']);
    assert.ok(fx.logs.some((line) => /full resync/.test(String(line['msg']))), 'the resync is logged');

    // Past the resync the session follows the journal again: one change, one FETCH, nothing repeated.
    await store.updateFlags(mailbox.id, [1], { op: 'add', flags: ['\\Answered'] });
    await heard();
    const next = await watcher.command('NOOP');
    assert.deepEqual(next.untagged, ['* 1 FETCH (FLAGS (\\Answered \\Recent) MODSEQ (10))']);
    watcher.close();
  });

  test('CHANGEDSINCE from before the retention window lists every message changed since, after a prune', async () => {
    const mailbox = await folder('Pruned2', 5); // appended at 2..6
    await store.updateFlags(mailbox.id, [2], { op: 'add', flags: ['\\Seen'] }); // 7
    await store.updateFlags(mailbox.id, [4], { op: 'add', flags: ['\\Flagged'] }); // 8
    await store.expungeMessages(mailbox.id, [5]); // 9
    await store.updateFlags(mailbox.id, [1], { op: 'add', flags: ['$Work'] }); // 10
    await store.pruneJournal(new Date(Date.now() + 60_000));
    await assert.rejects(store.readJournal(mailbox.id, 4), JournalPrunedError);

    const client = await loginWire(fx);
    await client.command('EXAMINE Pruned2 (CONDSTORE)');
    // The client last synced at MODSEQ 4 (before the oldest kept entry, 10): uids 1, 2, 4 changed, and 3 (appended at 4) did not.
    const changed = await client.command('UID FETCH 1:* (FLAGS) (CHANGEDSINCE 4)');
    assert.deepEqual(changed.untagged, [
      '* 1 FETCH (FLAGS ($Work \\Recent) UID 1 MODSEQ (10))',
      '* 2 FETCH (FLAGS (\\Seen \\Recent) UID 2 MODSEQ (7))',
      '* 4 FETCH (FLAGS (\\Flagged \\Recent) UID 4 MODSEQ (8))',
    ]);
    client.close();
  });

  test('the retention job prunes entries older than its window and logs the count', async () => {
    const mailbox = await folder('Pruned3', 3);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await store.updateFlags(mailbox.id, [1], { op: 'add', flags: ['\\Seen'] });
    const retention = new JournalRetention(store, fx.ctx.logger, 50);
    const started = performance.now();
    await retention.prune();
    console.log(`journal retention pass over the test store: ${(performance.now() - started).toFixed(0)} ms`);
    await retention.stop();
    await assert.rejects(store.readJournal(mailbox.id, 0), JournalPrunedError);
    // appended at 2..4, flagged at 5: the appends went
    assert.deepEqual((await store.readJournal(mailbox.id, 4)).map((entry) => entry.modseq), [5]);
  });
});
