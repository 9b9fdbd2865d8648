// The delivery identity (NewMessage.deliveryId, the MTA's queue id): a mailbox keeps one copy per identity,
// so an LMTP delivery repeated after a crash stores nothing twice (SPEC §4: "delivers none twice to a mailbox").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FreshStore } from './harness.js';
import { appendText, journalLines, seedMailbox, storageUsed } from './support.js';

export function registerDeliveryIdentityTests(fresh: FreshStore): void {
  describe('delivery identity', () => {
    it('stores a second append with the same deliveryId to the same mailbox as nothing, returning the first copy as a duplicate', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const first = await appendText(store, mailbox.id, 'Subject: once\r\n\r\nbody\r\n', { deliveryId: '4QzX1c2Vb3' });
      assert.notEqual(first.duplicate, true);
      const used = await storageUsed(store);
      const again = await appendText(store, mailbox.id, 'Subject: once\r\n\r\nbody\r\n', { deliveryId: '4QzX1c2Vb3' });
      assert.equal(again.duplicate, true);
      assert.equal(again.message.id, first.message.id);
      assert.equal(again.message.uid, first.message.uid);
      assert.equal(again.mailbox.uidNext, 2, 'no uid was taken');
      assert.equal((await store.listMessages(mailbox.id)).length, 1);
      assert.equal(await storageUsed(store), used, 'storage is charged once');
      assert.deepEqual((await journalLines(store, mailbox.id)).map((line) => line.kind), ['append']);
    });

    it('keeps one copy per mailbox: the same deliveryId in another mailbox is stored', async () => {
      const { store } = await fresh();
      const { mailbox: inbox } = await seedMailbox(store);
      const { mailbox: bobInbox } = await seedMailbox(store, 'INBOX', 'bob@example.com');
      const alice = await appendText(store, inbox.id, 'to both', { deliveryId: 'Q1' });
      const bob = await appendText(store, bobInbox.id, 'to both', { deliveryId: 'Q1' });
      assert.notEqual(bob.duplicate, true);
      assert.notEqual(bob.message.id, alice.message.id);
      assert.equal((await store.listMessages(bobInbox.id)).length, 1);
    });

    it('never merges appends without a deliveryId, nor different deliveryIds', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'same bytes');
      await appendText(store, mailbox.id, 'same bytes');
      await appendText(store, mailbox.id, 'same bytes', { deliveryId: 'Q1' });
      const other = await appendText(store, mailbox.id, 'same bytes', { deliveryId: 'Q2' });
      assert.notEqual(other.duplicate, true);
      assert.equal((await store.listMessages(mailbox.id)).length, 4);
    });

    it('stores exactly one of 20 concurrent appends of one deliveryId over two connections', async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      const { mailbox } = await seedMailbox(store);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => appendText(i % 2 === 0 ? store : peer, mailbox.id, 'raced delivery', { deliveryId: 'RACE1' })),
      );
      const stored = results.filter((result) => result.duplicate !== true);
      assert.equal(stored.length, 1, 'one append stored the message');
      for (const result of results) assert.equal(result.message.id, stored[0]!.message.id, 'every duplicate names the stored copy');
      assert.equal((await store.listMessages(mailbox.id)).length, 1);
    });

    it('does not carry the deliveryId to a copy: the copy stays when the original goes, and a new delivery to the copy\'s mailbox is stored', async () => {
      const { store } = await fresh();
      const { user, mailbox: inbox } = await seedMailbox(store);
      const archive = await store.createMailbox(user.id, 'Archive');
      const first = await appendText(store, inbox.id, 'delivered', { deliveryId: 'Q7' });
      await store.copyMessages(inbox.id, [first.message.uid], archive.id);
      const delivered = await appendText(store, archive.id, 'delivered', { deliveryId: 'Q7' });
      assert.notEqual(delivered.duplicate, true);
      assert.equal((await store.listMessages(archive.id)).length, 2);
    });
  });
}
