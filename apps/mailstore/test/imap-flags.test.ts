import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Store } from '@postern/store';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';
import type { WireClient } from './imap-wire.js';

async function mailboxWith(fx: ImapFixture, path: string, count: number): Promise<WireClient> {
  const wire = await loginWire(fx);
  assert.equal((await wire.command(`CREATE ${path}`)).status, 'OK');
  for (let i = 1; i <= count; i++) assert.equal((await wire.append(path, simpleMessage(i))).status, 'OK');
  return wire;
}

describeOnBackends('IMAP STORE and CONDSTORE', {}, (suite) => {
  let fx: ImapFixture;
  let store: Store;

  before(async () => {
    ({ fx, store } = suite);
  });

  test('+FLAGS, -FLAGS and FLAGS answer each message with its flags; keywords are kept', async () => {
    const wire = await mailboxWith(fx, 'Store1', 3);
    await wire.command('SELECT Store1');
    const add = await wire.command('STORE 1:2 +FLAGS (\\Seen $Label1)');
    assert.equal(add.status, 'OK');
    // The new keyword is announced first (RFC 3501 §7.2.6); this session's SELECT claimed the messages as \Recent (§2.3.2).
    assert.deepEqual(add.untagged, [
      '* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Label1)',
      '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $Label1 \\*)] Flags permitted',
      '* 1 FETCH (FLAGS (\\Seen $Label1 \\Recent))',
      '* 2 FETCH (FLAGS (\\Seen $Label1 \\Recent))',
    ]);
    const remove = await wire.command('STORE 2 -FLAGS (\\Seen)');
    assert.deepEqual(remove.untagged, ['* 2 FETCH (FLAGS ($Label1 \\Recent))']);
    const set = await wire.command('UID STORE 3 FLAGS (\\Answered \\Draft)');
    assert.deepEqual(set.untagged, ['* 3 FETCH (UID 3 FLAGS (\\Answered \\Draft \\Recent))']);
    // A STORE that changes nothing still reports the message's flags (RFC 3501 §6.4.6).
    const same = await wire.command('STORE 1 +FLAGS (\\Seen)');
    assert.deepEqual(same.untagged, ['* 1 FETCH (FLAGS (\\Seen $Label1 \\Recent))']);
    const silent = await wire.command('STORE 1:3 +FLAGS.SILENT (\\Flagged)');
    assert.deepEqual(silent.untagged, []);
    const flags = await wire.command('FETCH 1:3 (FLAGS)');
    assert.deepEqual(flags.untagged, [
      '* 1 FETCH (FLAGS (\\Seen $Label1 \\Flagged \\Recent))',
      '* 2 FETCH (FLAGS ($Label1 \\Flagged \\Recent))',
      '* 3 FETCH (FLAGS (\\Answered \\Draft \\Flagged \\Recent))',
    ]);
    const select = await wire.command('SELECT Store1');
    assert.ok(select.untagged.some((line) => line.startsWith('* FLAGS (') && line.includes('$Label1')), 'keywords in use appear in FLAGS');
    const invalid = await wire.command('STORE 1 +FLAGS (\\Bogus)');
    assert.equal(invalid.status, 'BAD');
    wire.close();
  });

  test('imapflow messageFlagsAdd/Remove/Set change the flags other sessions then see', async () => {
    const setup = await mailboxWith(fx, 'Store2', 2);
    setup.close();
    const client = fx.client('alice@example.com');
    await client.connect();
    const lock = await client.getMailboxLock('Store2');
    try {
      assert.equal(await client.messageFlagsAdd('1:*', ['\\Flagged', 'work']), true);
      assert.equal(await client.messageFlagsRemove('2', ['work']), true);
      assert.equal(await client.messageFlagsSet('1', ['\\Seen']), true);
      const flags = new Map<number, string[]>();
      for await (const message of client.fetch('1:*', { flags: true })) flags.set(message.seq, [...(message.flags ?? [])].sort());
      // imapflow enables IMAP4rev2, which has no \Recent (RFC 9051 Appendix E); rev1 sessions' \Recent is in imap-rev2.test.ts.
      assert.deepEqual(flags.get(1), ['\\Seen']);
      assert.deepEqual(flags.get(2), ['\\Flagged']);
    } finally {
      lock.release();
    }
    await client.logout();
  });

  test('CONDSTORE: SELECT (CONDSTORE) gives HIGHESTMODSEQ, FETCH MODSEQ and CHANGEDSINCE return changes only', async () => {
    const wire = await mailboxWith(fx, 'Cond1', 3);
    const select = await wire.command('SELECT Cond1 (CONDSTORE)');
    // The mailbox started at MODSEQ 1 (RFC 7162 §3.1.1): its three appends took 2, 3 and 4.
    assert.ok(select.untagged.includes('* OK [HIGHESTMODSEQ 4] Highest'), select.untagged.join('\n'));
    const modseqs = await wire.command('FETCH 1:3 (MODSEQ)');
    assert.deepEqual(modseqs.untagged, ['* 1 FETCH (MODSEQ (2))', '* 2 FETCH (MODSEQ (3))', '* 3 FETCH (MODSEQ (4))']);
    const store = await wire.command('STORE 2 +FLAGS (\\Seen)');
    assert.deepEqual(store.untagged, ['* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) MODSEQ (5))']);
    const changed = await wire.command('FETCH 1:* (FLAGS) (CHANGEDSINCE 4)');
    assert.deepEqual(changed.untagged, ['* 2 FETCH (FLAGS (\\Seen \\Recent) MODSEQ (5))']);
    const status = await wire.command('STATUS Cond1 (HIGHESTMODSEQ)');
    assert.deepEqual(status.untagged, ['* STATUS Cond1 (HIGHESTMODSEQ 5)']);
    wire.close();
  });

  test('CONDSTORE: STORE UNCHANGEDSINCE leaves newer messages alone and names them in MODIFIED', async () => {
    const wire = await mailboxWith(fx, 'Cond2', 3);
    await wire.command('SELECT Cond2 (CONDSTORE)');
    // appended at MODSEQs 2..4 (the mailbox started at 1)
    await wire.command('STORE 3 +FLAGS.SILENT (\\Answered)'); // message 3 now has MODSEQ 5
    const conditional = await wire.command('STORE 1:3 (UNCHANGEDSINCE 4) +FLAGS (\\Flagged)');
    assert.equal(conditional.status, 'OK');
    assert.match(conditional.tagged, /\[MODIFIED 3\]/);
    assert.deepEqual(conditional.untagged, ['* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent) MODSEQ (6))', '* 2 FETCH (UID 2 FLAGS (\\Flagged \\Recent) MODSEQ (7))']);
    const flags = await wire.command('FETCH 3 (FLAGS MODSEQ)');
    assert.deepEqual(flags.untagged, ['* 3 FETCH (FLAGS (\\Answered \\Recent) MODSEQ (5))']);
    wire.close();
  });

  test('CONDSTORE: UNCHANGEDSINCE 0 always fails (RFC 7162 §3.1.3), for STORE and UID STORE, and enables CONDSTORE', async () => {
    const wire = await mailboxWith(fx, 'Cond0', 2);
    await wire.command('SELECT Cond0');
    // "Use of UNCHANGEDSINCE with a modification sequence of 0 always fails if the metadata item exists.
    // A system flag MUST always be considered existent, whether it was set or not."
    const store = await wire.command('STORE 1:2 (UNCHANGEDSINCE 0) +FLAGS (\\Flagged)');
    assert.equal(store.status, 'OK');
    assert.match(store.tagged, /\[MODIFIED 1:2\]|\[MODIFIED 1,2\]/);
    assert.deepEqual(store.untagged, []);
    const uidStore = await wire.command('UID STORE 2 (UNCHANGEDSINCE 0) -FLAGS (\\Seen)');
    assert.match(uidStore.tagged, /\[MODIFIED 2\]/);
    // Nothing changed (appended at MODSEQs 2 and 3).
    const flags = await wire.command('FETCH 1:2 (FLAGS MODSEQ)');
    assert.deepEqual(flags.untagged, ['* 1 FETCH (FLAGS (\\Recent) MODSEQ (2))', '* 2 FETCH (FLAGS (\\Recent) MODSEQ (3))']);
    // §3.1: the conditional STORE was a CONDSTORE enabling command: a plain STORE's FETCH now carries UID and MODSEQ.
    const plain = await wire.command('STORE 1 +FLAGS (\\Answered)');
    assert.deepEqual(plain.untagged, ['* 1 FETCH (UID 1 FLAGS (\\Answered \\Recent) MODSEQ (4))']);
    wire.close();
  });

  test('flag changes from one session reach another selected session as untagged FETCH after NOOP', async () => {
    const first = await mailboxWith(fx, 'Shared', 2);
    await first.command('SELECT Shared');
    const second = await loginWire(fx);
    await second.command('SELECT Shared');
    await first.command('STORE 2 +FLAGS (\\Deleted)');
    let seen: string[] = [];
    for (let i = 0; i < 20 && !seen.length; i++) {
      seen = (await second.command('NOOP')).untagged.filter((line) => line.includes('FETCH'));
      if (!seen.length) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(seen, ['* 2 FETCH (FLAGS (\\Deleted))']);
    // The session that made the change is not told twice.
    const own = await first.command('NOOP');
    assert.deepEqual(own.untagged.filter((line) => line.includes('FETCH')), []);
    first.close();
    second.close();
  });

});
