// A new, never-changed mailbox under RFC 7162: HIGHESTMODSEQ 1 at SELECT, EXAMINE and STATUS (§3.1.1, §3.1.2.1,
// §7 `mod-sequence-value` is positive), and its first change 2, so CHANGEDSINCE 1 and QRESYNC with modseq 1
// find it (§3.1.4.1, §3.2.5) — dialogues after the RFC's examples, and imapflow resyncing a brand-new folder.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Store } from '@postern/store';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { noopUntil } from './imap-wire.js';
import { simpleMessage } from './imap-messages.js';

/** The `[HIGHESTMODSEQ n]` response code of a SELECT or EXAMINE. */
function highestModseqCode(untagged: string[]): string | undefined {
  return untagged.find((line) => line.startsWith('* OK [HIGHESTMODSEQ '));
}

describeOnBackends('IMAP CONDSTORE/QRESYNC on a new mailbox (RFC 7162)', {}, (suite) => {
  let fx: ImapFixture;
  let store: Store;

  before(() => {
    ({ fx, store } = suite);
  });

  test('§3.1.2.1: SELECT (CONDSTORE) and EXAMINE of a new, empty mailbox answer * OK [HIGHESTMODSEQ 1]; STATUS (HIGHESTMODSEQ) answers 1 (§3.1.1)', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('CREATE Fresh')).status, 'OK');
    // STATUS (HIGHESTMODSEQ) is itself a CONDSTORE-enabling command (§3.1); the value is positive with no messages too (§3.1.1).
    assert.deepEqual((await wire.command('STATUS Fresh (MESSAGES UIDNEXT HIGHESTMODSEQ)')).untagged, ['* STATUS Fresh (MESSAGES 0 UIDNEXT 1 HIGHESTMODSEQ 1)']);
    const select = await wire.command('SELECT Fresh (CONDSTORE)');
    assert.equal(select.status, 'OK', select.tagged);
    assert.ok(select.untagged.includes('* 0 EXISTS'), select.untagged.join('\n'));
    assert.equal(highestModseqCode(select.untagged), '* OK [HIGHESTMODSEQ 1] Highest', select.untagged.join('\n'));
    assert.ok(!select.untagged.some((line) => line.includes('[NOMODSEQ]')), 'a mailbox with mod-sequences never says NOMODSEQ (§3.1.2.2)');
    const examine = await wire.command('EXAMINE Fresh');
    assert.equal(highestModseqCode(examine.untagged), '* OK [HIGHESTMODSEQ 1] Highest', examine.untagged.join('\n'));
    wire.close();
  });

  test('§3.1.4.1: after the first APPEND, FETCH (CHANGEDSINCE 1) returns that message with MODSEQ 2, and HIGHESTMODSEQ is 2', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE FirstAppend');
    const before = await wire.command('SELECT FirstAppend (CONDSTORE)');
    assert.equal(highestModseqCode(before.untagged), '* OK [HIGHESTMODSEQ 1] Highest');
    // Another session appends: the selected one hears of it as EXISTS at its next command (RFC 3501 §7.3.1).
    const other = await loginWire(fx);
    assert.equal((await other.append('FirstAppend', simpleMessage(1))).status, 'OK');
    other.close();
    await noopUntil(wire, /^\* 1 EXISTS$/);
    const changed = await wire.command('FETCH 1:* (FLAGS) (CHANGEDSINCE 1)');
    assert.deepEqual(changed.untagged, ['* 1 FETCH (FLAGS (\\Recent) MODSEQ (2))']);
    assert.deepEqual((await wire.command('UID FETCH 1:* (FLAGS) (CHANGEDSINCE 2)')).untagged, []);
    // §3.1.5: SEARCH MODSEQ 2 finds it and names its MODSEQ.
    assert.deepEqual((await wire.command('SEARCH MODSEQ 2')).untagged, ['* SEARCH 1 (MODSEQ 2)']);
    assert.deepEqual((await wire.command('STATUS FirstAppend (HIGHESTMODSEQ)')).untagged, ['* STATUS FirstAppend (HIGHESTMODSEQ 2)']);
    wire.close();
  });

  test('§3.2.5: SELECT (QRESYNC (uidvalidity 1)) after the first APPEND answers its FETCH; UID FETCH (CHANGEDSINCE 1 VANISHED) names no expunge', async () => {
    const user = await store.getUser('alice@example.com');
    assert.ok(user);
    const mailbox = await store.createMailbox(user.id, 'QresyncFresh');
    const wire = await loginWire(fx);
    assert.deepEqual((await wire.command('ENABLE QRESYNC')).untagged, ['* ENABLED QRESYNC']);
    const empty = await wire.command('EXAMINE QresyncFresh');
    assert.equal(highestModseqCode(empty.untagged), '* OK [HIGHESTMODSEQ 1] Highest');
    await wire.command('UNSELECT');
    const other = await loginWire(fx);
    await other.append('QresyncFresh', simpleMessage(1), '(\\Seen)');
    other.close();
    const select = await wire.command(`SELECT QresyncFresh (QRESYNC (${mailbox.uidValidity} 1))`);
    assert.equal(select.status, 'OK', select.tagged);
    assert.equal(highestModseqCode(select.untagged), '* OK [HIGHESTMODSEQ 2] Highest');
    // Nothing was expunged, so no VANISHED (EARLIER); the new message is reported changed (§3.2.5.1).
    assert.deepEqual(select.untagged.filter((line) => /^\* (VANISHED|\d+ FETCH)/.test(line)), ['* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) MODSEQ (2))']);
    const fetch = await wire.command('UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)');
    assert.deepEqual(fetch.untagged, ['* 1 FETCH (FLAGS (\\Seen \\Recent) UID 1 MODSEQ (2))']);
    wire.close();
  });

  test('imapflow (qresync): a brand-new folder opens at HIGHESTMODSEQ 1; after an append, a reconnect with the cached modseq sees exactly the new message', async () => {
    const first = fx.client('alice@example.com', { qresync: true });
    await first.connect();
    await first.mailboxCreate('BrandNew');
    const opened = await first.mailboxOpen('BrandNew');
    assert.equal(opened.highestModseq, 1n, 'imapflow only uses CONDSTORE/QRESYNC on a mailbox that reports HIGHESTMODSEQ');
    const known = { uidValidity: opened.uidValidity, highestModseq: opened.highestModseq };
    await first.logout();

    const writer = fx.client('alice@example.com');
    await writer.connect();
    const appended = await writer.append('BrandNew', simpleMessage(1), ['\\Flagged']);
    assert.equal(appended && appended.uid, 1);
    await writer.logout();

    const again = fx.client('alice@example.com', { qresync: true });
    const expunged: unknown[] = [];
    const flags: { uid?: number; flags: Set<string>; modseq?: bigint }[] = [];
    again.on('expunge', (event: unknown) => expunged.push(event));
    again.on('flags', (event: { uid?: number; flags: Set<string>; modseq?: bigint }) => flags.push(event));
    await again.connect();
    const reopened = await again.mailboxOpen('BrandNew', { uidValidity: known.uidValidity, changedSince: known.highestModseq } as never);
    assert.equal(reopened.exists, 1);
    assert.equal(reopened.highestModseq, 2n);
    assert.deepEqual(expunged, []);
    assert.deepEqual(flags.map((event) => [event.uid, [...event.flags], event.modseq]), [[1, ['\\Flagged'], 2n]]);
    const changed: number[] = [];
    for await (const message of again.fetch('1:*', { uid: true, flags: true }, { uid: true, changedSince: known.highestModseq })) changed.push(message.uid);
    assert.deepEqual(changed, [1]);
    await again.logout();
  });
});
