// QRESYNC (RFC 7162 §3.2): ENABLE, SELECT (QRESYNC …), UID FETCH (CHANGEDSINCE m VANISHED), VANISHED instead of
// EXPUNGE and the CLOSED response code — dialogues after the RFC's examples, with imapflow resyncing like Thunderbird.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { openStore, type Mailbox, type Store } from '@postern/store';
import { prepareMessage } from '../src/message/index.js';
import type { Backend } from './fixture.js';
import { describeOnBackends, loginWire, startImapFixture, type ImapFixture } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';
import type { WireClient } from './imap-wire.js';

/** UIDVALIDITY and HIGHESTMODSEQ from a SELECT's untagged responses. */
function selected(untagged: string[]): { uidValidity: number; highestModseq: number } {
  const value = (code: string): number => Number(new RegExp(`^\\* OK \\[${code} (\\d+)\\]`).exec(untagged.find((line) => line.startsWith(`* OK [${code} `)) ?? '')?.[1]);
  return { uidValidity: value('UIDVALIDITY'), highestModseq: value('HIGHESTMODSEQ') };
}

/** The lines QRESYNC adds to a SELECT: VANISHED and FETCH. */
const resyncLines = (untagged: string[]): string[] => untagged.filter((line) => /^\* (VANISHED|\d+ FETCH)/.test(line));

/** The first untagged line matching `pattern` within `timeoutMs`. */
async function waitFor(wire: WireClient, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = await wire.line(Math.max(1, deadline - Date.now()));
    if (pattern.test(line)) return line;
  }
}

describeOnBackends('IMAP QRESYNC after RFC 7162', {}, (suite) => {
  let fx: ImapFixture;
  let store: Store;
  let backend: Backend;

  before(() => {
    ({ fx, store, backend } = suite);
  });

  /** A folder of alice's with messages 1..count, every one already claimed as \Recent (so FETCH shows stored flags only). */
  async function folder(name: string, count: number): Promise<Mailbox> {
    const user = await store.getUser('alice@example.com');
    assert.ok(user);
    const mailbox = await store.createMailbox(user.id, name);
    for (let n = 1; n <= count; n++) await store.appendMessage(mailbox.id, prepareMessage(simpleMessage(n)));
    await store.claimRecent(mailbox.id, count as never);
    return mailbox;
  }

  async function qresyncSession(): Promise<WireClient> {
    const wire = await loginWire(fx);
    const enable = await wire.command('ENABLE QRESYNC');
    assert.deepEqual(enable.untagged, ['* ENABLED QRESYNC']);
    return wire;
  }

  test('CAPABILITY advertises QRESYNC; ENABLE QRESYNC answers ENABLED QRESYNC and turns CONDSTORE on (§3.2.3)', async () => {
    const wire = await loginWire(fx);
    const caps = (await wire.command('CAPABILITY')).untagged.find((line) => line.startsWith('* CAPABILITY'))!.split(' ');
    assert.ok(caps.includes('QRESYNC') && caps.includes('CONDSTORE'), caps.join(' '));
    assert.deepEqual((await wire.command('ENABLE QRESYNC CONDSTORE X-UNKNOWN')).untagged, ['* ENABLED CONDSTORE QRESYNC']);
    await folder('Enabled', 1);
    // CONDSTORE is on (§3.2.3): the flags a STORE reports carry MODSEQ (§3.1.4).
    await wire.command('SELECT Enabled');
    // The folder started at MODSEQ 1 and its message took 2 (RFC 7162 §3.1.1).
    assert.deepEqual((await wire.command('STORE 1 +FLAGS (\\Seen)')).untagged, ['* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (3))']);
    assert.equal((await wire.command('ENABLE')).status, 'BAD');
    wire.close();
  });

  test('§3.2.5.1: SELECT (QRESYNC (uidvalidity modseq known-uids)) answers VANISHED (EARLIER) and FETCH for what changed', async () => {
    const mailbox = await folder('Resync', 10);
    const client = await qresyncSession();
    const first = selected((await client.command('SELECT Resync')).untagged);
    assert.equal(first.uidValidity, mailbox.uidValidity);
    assert.equal(first.highestModseq, 11, 'the folder started at 1, its ten appends took 2..11');
    await client.command('UNSELECT');
    // Another client flags uids 3 and 5 and expunges 2, 7 and 8; then a new message (uid 11) arrives.
    const other = await loginWire(fx);
    await other.command('SELECT Resync');
    await other.command('UID STORE 3,5 +FLAGS (\\Seen)');
    await other.command('UID STORE 2,7,8 +FLAGS.SILENT (\\Deleted)');
    await other.command('EXPUNGE');
    other.close();
    await store.appendMessage(mailbox.id, prepareMessage(simpleMessage(11)));

    const select = await client.command(`SELECT Resync (QRESYNC (${first.uidValidity} ${first.highestModseq} 1:10))`);
    assert.equal(select.status, 'OK', select.tagged);
    assert.ok(select.untagged.includes('* 8 EXISTS'), select.untagged.join('\n'));
    // Modseqs: 12, 13 the flags; 14..16 the \Deleted of 2, 7, 8 (one each), 17..19 the expunges, 20 the append.
    const modseqOf = async (uid: number): Promise<number> => (await store.getMessage(mailbox.id, uid as never))!.modseq;
    assert.deepEqual(resyncLines(select.untagged), [
      '* VANISHED (EARLIER) 2,7:8',
      `* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (${await modseqOf(3)}))`,
      `* 4 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (${await modseqOf(5)}))`,
    ]);
    // Without known-uids the client knows every UID: the new message is reported as changed too
    // (the SELECT above took its \\Recent, and EXAMINE takes none).
    const all = await client.command(`EXAMINE Resync (QRESYNC (${first.uidValidity} ${first.highestModseq}))`);
    assert.deepEqual(resyncLines(all.untagged).slice(-1), [`* 8 FETCH (UID 11 FLAGS () MODSEQ (${await modseqOf(11)}))`]);
    assert.equal(resyncLines(all.untagged)[0], '* VANISHED (EARLIER) 2,7:8');
    // known-uids narrows both: only uids 1..5 are reported.
    const some = await client.command(`EXAMINE Resync (QRESYNC (${first.uidValidity} ${first.highestModseq} 1:5))`);
    assert.deepEqual(resyncLines(some.untagged), ['* VANISHED (EARLIER) 2', `* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (${await modseqOf(3)}))`, `* 4 FETCH (UID 5 FLAGS (\\Seen) MODSEQ (${await modseqOf(5)}))`]);
    // §3.2.5: a UIDVALIDITY that does not match is a plain SELECT.
    const stale = await client.command(`SELECT Resync (QRESYNC (${first.uidValidity + 1} ${first.highestModseq} 1:10))`);
    assert.equal(stale.status, 'OK');
    assert.deepEqual(resyncLines(stale.untagged), []);
    // Nothing changed since the current HIGHESTMODSEQ: nothing to report.
    const now = selected(stale.untagged);
    assert.deepEqual(resyncLines((await client.command(`SELECT Resync (QRESYNC (${now.uidValidity} ${now.highestModseq}))`)).untagged), []);
    client.close();
  });

  test('§3.2.5: QRESYNC before ENABLE QRESYNC, or malformed, is BAD', async () => {
    await folder('BadParams', 2);
    const plain = await loginWire(fx);
    assert.equal((await plain.command('SELECT BadParams (QRESYNC (1 1))')).status, 'BAD');
    plain.close();
    const client = await qresyncSession();
    for (const parameter of ['(QRESYNC)', '(QRESYNC (1))', '(QRESYNC (0 1))', '(QRESYNC (1 x))', '(QRESYNC (1 1 1:*))', '(QRESYNC (1 1 1:2 (1:2 1)))', '(QRESYNC (1 1 1:2 3))']) {
      const result = await client.command(`SELECT BadParams ${parameter}`);
      assert.equal(result.status, 'BAD', `${parameter}: ${result.tagged}`);
    }
    assert.equal((await client.command('SELECT BadParams (QRESYNC (1 1 1:2 (1:2 1:2)))')).status, 'OK');
    client.close();
  });

  test('§3.2.11: SELECT while a mailbox is selected says OK [CLOSED] first', async () => {
    await folder('ClosedA', 1);
    await folder('ClosedB', 1);
    const wire = await loginWire(fx);
    assert.ok(!(await wire.command('SELECT ClosedA')).untagged.some((line) => line.includes('[CLOSED]')));
    const second = await wire.command('EXAMINE ClosedB');
    assert.match(second.untagged[0]!, /^\* OK \[CLOSED\]/);
    assert.equal(second.untagged.filter((line) => line.includes('[CLOSED]')).length, 1);
    // A SELECT that fails also closes the mailbox that was selected.
    const missing = await wire.command('SELECT NoSuchMailbox');
    assert.match(missing.untagged[0]!, /^\* OK \[CLOSED\]/);
    assert.equal(missing.status, 'NO');
    assert.ok(!(await wire.command('SELECT ClosedA')).untagged.some((line) => line.includes('[CLOSED]')));
    wire.close();
  });

  test('§3.2.6: UID FETCH (CHANGEDSINCE m VANISHED) answers VANISHED (EARLIER) for expunged UIDs of the set first', async () => {
    const mailbox = await folder('FetchVanished', 8);
    const client = await qresyncSession();
    await client.command('SELECT FetchVanished');
    const other = await loginWire(fx);
    await other.command('SELECT FetchVanished');
    await other.command('UID STORE 4 +FLAGS (\\Flagged)');
    await other.command('UID STORE 1,5,6 +FLAGS.SILENT (\\Deleted)');
    await other.command('EXPUNGE');
    other.close();
    const flagged = (await store.getMessage(mailbox.id, 4 as never))!.modseq;
    const fetch = await client.command('UID FETCH 3:8 (FLAGS) (CHANGEDSINCE 8 VANISHED)');
    assert.equal(fetch.status, 'OK', fetch.tagged);
    // The session has not been told of the expunges yet: uid 4 is still message 4. After the answer, the
    // changes go out unsolicited, the expunges as VANISHED without EARLIER (§3.2.10).
    assert.deepEqual(fetch.untagged.slice(0, 2), ['* VANISHED (EARLIER) 5:6', `* 4 FETCH (FLAGS (\\Flagged) UID 4 MODSEQ (${flagged}))`]);
    // The other session's changes reach this one through the change notifier: usually by the end of this
    // command, under load a NOOP or two later (the server may send them whenever it likes, RFC 3501 §7).
    const told = [...fetch.untagged];
    for (let i = 0; i < 50 && ![1, 5, 6].every((uid) => told.includes(`* VANISHED ${uid}`)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      told.push(...(await client.command('NOOP')).untagged);
    }
    // The unsolicited FETCH for the other session's flag change names the UID too.
    assert.ok(told.includes(`* 4 FETCH (UID 4 FLAGS (\\Flagged) MODSEQ (${flagged}))`), told.join('\n'));
    for (const uid of [1, 5, 6]) assert.ok(told.includes(`* VANISHED ${uid}`), told.join('\n'));
    // Uid 1 is outside the set; a CHANGEDSINCE after the expunges finds none.
    const later = await client.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${mailbox.highestModseq + 100} VANISHED)`);
    assert.deepEqual(later.untagged, []);
    assert.equal((await client.command('UID FETCH 1:* (FLAGS) (VANISHED)')).status, 'BAD');
    assert.equal((await client.command('FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)')).status, 'BAD');
    client.close();
    const plain = await loginWire(fx);
    await plain.command('SELECT FetchVanished');
    assert.equal((await plain.command('UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)')).status, 'BAD');
    plain.close();
  });

  test('§3.2.10: after ENABLE QRESYNC, the session’s own EXPUNGE and UID EXPUNGE and everyone else’s are VANISHED', async () => {
    await folder('Vanishing', 6);
    const client = await qresyncSession();
    await client.command('SELECT Vanishing');
    await client.command('STORE 2:3 +FLAGS.SILENT (\\Deleted)');
    assert.deepEqual((await client.command('EXPUNGE')).untagged, ['* VANISHED 2:3']);
    await client.command('UID STORE 5 +FLAGS.SILENT (\\Deleted)');
    assert.deepEqual((await client.command('UID EXPUNGE 5')).untagged, ['* VANISHED 5']);
    const other = await loginWire(fx);
    await other.command('SELECT Vanishing');
    await other.command('UID STORE 6 +FLAGS.SILENT (\\Deleted)');
    assert.deepEqual((await other.command('EXPUNGE')).untagged, ['* 3 EXPUNGE']);
    other.close();
    const noop = await client.command('NOOP');
    assert.ok(noop.untagged.includes('* VANISHED 6'), noop.untagged.join('\n'));
    assert.deepEqual((await client.command('UID SEARCH ALL')).untagged, ['* SEARCH 1 4']);
    client.close();
  });

  test('a pruned journal gets the full answer: every known UID that is gone; seq-match data narrows it (§3.2.5.2)', async () => {
    const mailbox = await folder('PrunedResync', 10);
    await store.expungeMessages(mailbox.id, [2 as never]);
    const client = await qresyncSession();
    const synced = selected((await client.command('SELECT PrunedResync')).untagged);
    await client.command('UNSELECT');
    await store.expungeMessages(mailbox.id, [9 as never]);
    await store.updateFlags(mailbox.id, [4 as never], { op: 'add', flags: ['\\Answered'] });
    await store.pruneJournal(new Date(Date.now() + 60_000));
    // The journal cannot say what went after the client's MODSEQ: uid 2 (gone before) is named again, correctly.
    const full = await client.command(`EXAMINE PrunedResync (QRESYNC (${synced.uidValidity} ${synced.highestModseq} 1:10))`);
    const answered = (await store.getMessage(mailbox.id, 4 as never))!.modseq;
    assert.deepEqual(resyncLines(full.untagged), ['* VANISHED (EARLIER) 2,9', `* 3 FETCH (UID 4 FLAGS (\\Answered) MODSEQ (${answered}))`]);
    // The client's message numbers 1..3 are uids 1, 3, 4 and still are: nothing at or below uid 4 went unseen.
    const narrowed = await client.command(`EXAMINE PrunedResync (QRESYNC (${synced.uidValidity} ${synced.highestModseq} 1:10 (1:3 1,3:4)))`);
    assert.equal(resyncLines(narrowed.untagged)[0], '* VANISHED (EARLIER) 9');
    // A pair that no longer holds (message 8 was uid 9) stops the narrowing there.
    const stopped = await client.command(`EXAMINE PrunedResync (QRESYNC (${synced.uidValidity} ${synced.highestModseq} 1:10 (1,8 1,9)))`);
    assert.equal(resyncLines(stopped.untagged)[0], '* VANISHED (EARLIER) 2,9');
    client.close();
  });

  test('imapflow with qresync: a Thunderbird-style reconnect gets exactly the flag changes and expunges made meanwhile', async () => {
    await folder('Thunderbird', 6);
    const first = fx.client('alice@example.com', { qresync: true });
    await first.connect();
    const opened = await first.mailboxOpen('Thunderbird');
    const known = { uidValidity: opened.uidValidity, highestModseq: opened.highestModseq };
    await first.logout();

    const other = fx.client('alice@example.com');
    await other.connect();
    await other.mailboxOpen('Thunderbird');
    await other.messageFlagsAdd('2,4', ['\\Flagged'], { uid: true });
    await other.messageDelete('3,5', { uid: true });
    await other.logout();

    const again = fx.client('alice@example.com', { qresync: true });
    const expunged: { uid?: number; vanished: boolean; earlier?: boolean }[] = [];
    const flags: { uid?: number; flags: Set<string> }[] = [];
    again.on('expunge', (event: { uid?: number; vanished: boolean; earlier?: boolean }) => expunged.push(event));
    again.on('flags', (event: { uid?: number; flags: Set<string> }) => flags.push(event));
    await again.connect();
    const reopened = await again.mailboxOpen('Thunderbird', { uidValidity: known.uidValidity, changedSince: known.highestModseq } as never);
    assert.equal(reopened.exists, 4);
    assert.deepEqual(expunged.map((event) => [event.uid, event.vanished, event.earlier]), [
      [3, true, true],
      [5, true, true],
    ]);
    assert.deepEqual(flags.map((event) => [event.uid, [...event.flags]]), [
      [2, ['\\Flagged']],
      [4, ['\\Flagged']],
    ]);
    await again.logout();
  });

  test('an expunge made by another mailstore on the same store reaches an IDLE QRESYNC session as VANISHED', async () => {
    await folder('AcrossNodes', 3);
    const otherStore = await openStore(backend.lastStoreOptions as Parameters<typeof openStore>[0]);
    const other = await startImapFixture(otherStore, backend.dir);
    try {
      const watcher = await qresyncSession();
      await watcher.command('SELECT AcrossNodes');
      watcher.write('I1 IDLE\r\n');
      assert.match(await watcher.line(), /^\+ /);
      const writer = await loginWire(other);
      await writer.command('SELECT AcrossNodes');
      await writer.command('UID STORE 2 +FLAGS.SILENT (\\Deleted)');
      assert.deepEqual((await writer.command('EXPUNGE')).untagged, ['* 2 EXPUNGE']);
      assert.equal(await waitFor(watcher, /^\* (VANISHED|\d+ EXPUNGE)/), '* VANISHED 2');
      watcher.write('DONE\r\n');
      await waitFor(watcher, /^I1 OK/);
      writer.close();
      watcher.close();
    } finally {
      await other.close();
      await otherStore.close();
    }
  });
});
