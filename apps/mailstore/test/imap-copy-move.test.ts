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

describeOnBackends('IMAP COPY, MOVE and EXPUNGE', {}, (suite) => {
  let fx: ImapFixture;
  let store: Store;

  before(async () => {
    ({ fx, store } = suite);
  });

  test('COPY answers COPYUID, keeps flags and shares the message bytes; a missing destination is TRYCREATE', async () => {
    const wire = await mailboxWith(fx, 'CopyFrom', 3);
    await wire.command('CREATE CopyTo');
    await wire.command('SELECT CopyFrom');
    await wire.command('STORE 2 +FLAGS (\\Flagged)');
    const copy = await wire.command('COPY 2:3 CopyTo');
    assert.equal(copy.status, 'OK');
    const uidValidity = /UIDVALIDITY (\d+)/.exec((await wire.command('STATUS CopyTo (UIDVALIDITY)')).untagged[0]!)![1];
    assert.match(copy.tagged, new RegExp(`\\[COPYUID ${uidValidity} 2:3 1:2\\]`));
    const missing = await wire.command('COPY 1 Nowhere');
    assert.equal(missing.status, 'NO');
    assert.match(missing.tagged, /\[TRYCREATE\]/);
    await wire.command('SELECT CopyTo');
    const fetched = await wire.command('FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])');
    // The first SELECT of CopyTo gets the copies as \Recent (RFC 3501 §2.3.2).
    assert.match(fetched.untagged[0]!, /FLAGS \(\\Flagged \\Recent\).*msg-2@example.com/s);
    assert.match(fetched.untagged[1]!, /msg-3@example.com/);
    const user = await store.getUser('alice@example.com');
    const source = await store.getMessage((await store.getMailbox(user!.id, 'CopyFrom'))!.id, 2);
    const copied = await store.getMessage((await store.getMailbox(user!.id, 'CopyTo'))!.id, 1);
    assert.deepEqual(copied!.parts, source!.parts, 'the copy shares the blobs');
    wire.close();
  });

  test('MOVE sends COPYUID, then EXPUNGE for each moved message, before the tagged OK with COPYUID', async () => {
    const wire = await mailboxWith(fx, 'MoveFrom', 4);
    await wire.command('CREATE MoveTo');
    await wire.command('SELECT MoveFrom');
    const move = await wire.command('MOVE 2:3 MoveTo');
    assert.equal(move.status, 'OK');
    assert.match(move.untagged[0]!, /^\* OK \[COPYUID \d+ 2:3 1:2\]/);
    assert.deepEqual(move.untagged.slice(1), ['* 2 EXPUNGE', '* 2 EXPUNGE']);
    assert.match(move.tagged, /\[COPYUID \d+ 2:3 1:2\]/);
    const left = await wire.command('UID SEARCH ALL');
    assert.deepEqual(left.untagged, ['* SEARCH 1 4']);
    const uidMove = await wire.command('UID MOVE 4 MoveTo');
    assert.match(uidMove.untagged[0]!, /^\* OK \[COPYUID \d+ 4 3\]/);
    assert.deepEqual(uidMove.untagged.slice(1), ['* 2 EXPUNGE']);
    const status = await wire.command('STATUS MoveTo (MESSAGES)');
    assert.deepEqual(status.untagged, ['* STATUS MoveTo (MESSAGES 3)']);
    wire.close();
  });

  test('EXPUNGE removes \\Deleted messages with EXPUNGE responses; UID EXPUNGE only the given UIDs', async () => {
    const wire = await mailboxWith(fx, 'Purge', 5);
    await wire.command('SELECT Purge');
    await wire.command('STORE 1,3,5 +FLAGS.SILENT (\\Deleted)');
    const uidExpunge = await wire.command('UID EXPUNGE 3');
    assert.deepEqual(uidExpunge.untagged, ['* 3 EXPUNGE']);
    const expunge = await wire.command('EXPUNGE');
    assert.deepEqual(expunge.untagged, ['* 1 EXPUNGE', '* 3 EXPUNGE']);
    const left = await wire.command('UID SEARCH ALL');
    assert.deepEqual(left.untagged, ['* SEARCH 2 4']);
    wire.close();
  });

  test('CLOSE expunges silently; UNSELECT leaves \\Deleted messages in place', async () => {
    const wire = await mailboxWith(fx, 'Closing', 3);
    await wire.command('SELECT Closing');
    await wire.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
    const unselect = await wire.command('UNSELECT');
    assert.deepEqual(unselect.untagged, []);
    assert.deepEqual((await wire.command('STATUS Closing (MESSAGES)')).untagged, ['* STATUS Closing (MESSAGES 3)']);
    await wire.command('SELECT Closing');
    const close = await wire.command('CLOSE');
    assert.deepEqual(close.untagged, []);
    assert.deepEqual((await wire.command('STATUS Closing (MESSAGES)')).untagged, ['* STATUS Closing (MESSAGES 2)']);
    // EXAMINE is read-only: CLOSE there removes nothing.
    await wire.command('EXAMINE Closing');
    await wire.command('CLOSE');
    assert.equal((await wire.command('SELECT Closing')).status, 'OK');
    wire.close();
  });

  test('imapflow messageMove and messageDelete', async () => {
    const setup = await mailboxWith(fx, 'FlowMove', 3);
    setup.close();
    const client = fx.client('alice@example.com');
    await client.connect();
    const lock = await client.getMailboxLock('FlowMove');
    try {
      const moved = await client.messageMove('1', 'Trash');
      assert.ok(moved && moved.uidMap && moved.uidMap.size === 1);
      assert.equal(await client.messageDelete('1'), true);
      assert.equal(client.mailbox && client.mailbox.exists, 1);
    } finally {
      lock.release();
    }
    await client.logout();
  });

  test('expunged messages release their storage: the user is charged only for what remains', async () => {
    const user = await store.getUser('alice@example.com');
    const before = user!.storageUsed;
    const wire = await mailboxWith(fx, 'Storage', 2);
    const grown = (await store.getUser('alice@example.com'))!.storageUsed;
    assert.equal(grown - before, simpleMessage(1).length + simpleMessage(2).length);
    await wire.command('SELECT Storage');
    await wire.command('STORE 1:* +FLAGS.SILENT (\\Deleted)');
    await wire.command('EXPUNGE');
    assert.equal((await store.getUser('alice@example.com'))!.storageUsed, before);
    wire.close();
  });

});
