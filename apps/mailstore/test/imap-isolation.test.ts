import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { before, test } from 'node:test';
import type { Mailbox, Store, User } from '@postern/store';
import { copyMessages, expungeDeleted, moveMessages } from '../src/imap/copy-move.js';
import { fetchMessages } from '../src/imap/fetch.js';
import { storeFlags } from '../src/imap/flags.js';
import type { ImapSession } from '../src/imap/imap-core.js';
import { JournalNotifier } from '../src/imap/notifier.js';
import { searchMessages } from '../src/imap/search.js';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';

/** A session of `user` that claims `mailbox` is selected: what a forged or stale mailbox id would look like. */
function forgedSession(user: User, mailbox: Mailbox): ImapSession {
  return {
    id: 'forged',
    remoteAddress: '127.0.0.1',
    user: { id: user.id, username: user.address },
    selected: { mailbox: mailbox.id, uidList: [1], modifyIndex: 0, notifications: [], condstoreEnabled: false, readOnly: false, path: 'INBOX' },
    writeStream: new PassThrough({ objectMode: true }),
    socket: null as never,
    formatResponse: () => false,
    isUTF8Enabled: () => false,
  };
}

describeOnBackends('IMAP user isolation', { users: [] }, (suite) => {
  let fx: ImapFixture;
  let store: Store;
  let alice: User;
  let bob: User;

  before(async () => {
    ({ fx, store } = suite);
    alice = await fx.addUser('alice@example.com');
    bob = await fx.addUser('bob@example.com');
    const wire = await loginWire(fx, 'alice@example.com');
    await wire.command('CREATE Secret');
    await wire.append('INBOX', simpleMessage(1, { subject: 'For Alice only' }));
    await wire.append('Secret', simpleMessage(2, { subject: 'Hidden' }));
    wire.close();
  });

  test("bob's INBOX is his own, and no name reaches alice's folders", async () => {
    const wire = await loginWire(fx, 'bob@example.com');
    const select = await wire.command('SELECT INBOX');
    assert.ok(select.untagged.includes('* 0 EXISTS'));
    const list = await wire.command('LIST "" "*"');
    assert.ok(!list.untagged.some((line) => line.includes('Secret')), list.untagged.join('\n'));
    for (const path of ['Secret', 'alice@example.com/INBOX', '"Other Users/alice/INBOX"', '"../alice/INBOX"', '"#shared/INBOX"']) {
      const attempt = await wire.command(`SELECT ${path}`);
      assert.equal(attempt.status, 'NO', `SELECT ${path}: ${attempt.tagged}`);
      const status = await wire.command(`STATUS ${path} (MESSAGES)`);
      assert.equal(status.status, 'NO', `STATUS ${path}`);
    }
    wire.close();
  });

  test("bob cannot COPY, MOVE or APPEND into alice's mailboxes", async () => {
    const wire = await loginWire(fx, 'bob@example.com');
    await wire.append('INBOX', simpleMessage(9, { subject: 'Bob mail' }));
    await wire.command('SELECT INBOX');
    for (const command of ['COPY 1 Secret', 'MOVE 1 Secret', 'COPY 1 "alice@example.com/INBOX"']) {
      const result = await wire.command(command);
      assert.equal(result.status, 'NO', command);
      assert.match(result.tagged, /TRYCREATE/);
    }
    assert.equal((await wire.append('Secret', simpleMessage(10))).status, 'NO');
    const aliceInbox = (await store.getMailbox(alice.id, 'INBOX'))!;
    const aliceSecret = (await store.getMailbox(alice.id, 'Secret'))!;
    assert.equal(await store.countMessages(aliceInbox.id), 1);
    assert.equal(await store.countMessages(aliceSecret.id), 1);
    wire.close();
  });

  test("every hook refuses a mailbox id of another user's mailbox with NONEXISTENT", async () => {
    const notifier = new JournalNotifier(store, fx.ctx.logger);
    const aliceInbox = (await store.getMailbox(alice.id, 'INBOX'))!;
    const session = forgedSession(bob, aliceInbox);
    const query = [{ query: 'FLAGS', item: 'flags', original: { type: 'ATOM', value: 'FLAGS' } }];
    assert.deepEqual(await fetchMessages(fx.ctx, notifier, aliceInbox.id, { messages: [1], query, markAsSeen: true, changedSince: 0, isUid: false }, session), ['NONEXISTENT']);
    assert.deepEqual(
      await storeFlags(fx.ctx, notifier, aliceInbox.id, { action: 'add', value: ['\\Deleted'], messages: [1], silent: false, unchangedSince: false }, session),
      ['NONEXISTENT'],
    );
    assert.deepEqual(await copyMessages(fx.ctx, notifier, aliceInbox.id, { destination: 'INBOX', messages: [1] }, session), ['NONEXISTENT']);
    assert.deepEqual(await moveMessages(fx.ctx, notifier, aliceInbox.id, { destination: 'INBOX', messages: [1] }, session), ['NONEXISTENT']);
    assert.deepEqual(await expungeDeleted(fx.ctx, notifier, aliceInbox.id, { isUid: false }, session), ['NONEXISTENT']);
    assert.deepEqual(await searchMessages(fx.ctx, aliceInbox.id, { query: [{ key: 'all' }], terms: ['all'], isUid: false }, session), [{ uidList: 'NONEXISTENT' }]);
    const message = await store.getMessage(aliceInbox.id, 1);
    assert.deepEqual(message!.flags, [], "alice's message is untouched");
    notifier.close();
  });

});
