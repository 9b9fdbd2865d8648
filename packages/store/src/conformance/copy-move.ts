// COPY (RFC 4315 COPYUID) and MOVE (RFC 6851): uid maps, flags without \Recent, shared blobs, journals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../ids.js';
import { NEW_MAILBOX_MODSEQ } from '../modseq.js';
import type { MailboxId } from '../types.js';
import type { FreshStore } from './harness.js';
import { appendText, bytes, journalLines, nth, rejectsWithStoreError, seedMailbox, seedUser, sorted, storageUsed } from './support.js';

export function registerCopyMoveTests(fresh: FreshStore): void {
  describe('copying messages', () => {
    it('copies in ascending source uid order to the next destination uids and reports the uid map', async () => {
      const { store } = await fresh();
      const { user, mailbox: source } = await seedMailbox(store);
      const target = await store.createMailbox(user.id, 'Archive');
      await appendText(store, target.id, 'already in the archive');
      for (let i = 1; i <= 3; i++) await appendText(store, source.id, `message ${i}`);

      const result = await store.copyMessages(source.id, [3, 1, 42], target.id);

      assert.deepEqual(result.uidMap, [
        { sourceUid: 1, destinationUid: 2 },
        { sourceUid: 3, destinationUid: 3 },
      ]);
      assert.equal(result.uidValidity, target.uidValidity);
      assert.equal(result.mailbox.id, target.id);
      assert.equal(result.mailbox.uidNext, 4);
      assert.equal(result.mailbox.highestModseq, 4);
      const copies = await store.listMessages(target.id);
      assert.deepEqual(copies.map((m) => `${m.uid}@${m.modseq}`), ['1@2', '2@3', '3@4']);
      assert.deepEqual((await store.readMessage(nth(copies, 2))).toString(), 'message 3');
      assert.deepEqual((await store.listMessages(source.id)).map((m) => m.uid), [1, 2, 3], 'the source keeps its messages');
      assert.equal((await store.getMailboxById(source.id))?.highestModseq, 4, 'the source is not touched');
    });

    it('copies flags without \\Recent, and keeps date, headers, meta, size and parts', async () => {
      const { store } = await fresh();
      const { user, mailbox: source } = await seedMailbox(store);
      const target = await store.createMailbox(user.id, 'Archive');
      const internalDate = new Date('2023-11-05T08:00:00.000Z');
      const { message: original } = await store.appendMessage(source.id, {
        parts: [bytes('Subject: keep\r\n\r\n'), bytes('body\r\n')],
        flags: ['\\Seen', '\\Recent', '$Work'],
        internalDate,
        headers: { subject: 'keep' },
        meta: { lines: 1 },
      });
      await store.copyMessages(source.id, [1], target.id);
      const copy = await store.getMessage(target.id, 1);
      assert.ok(copy);
      assert.notEqual(copy.id, original.id);
      assert.equal(copy.mailboxId, target.id);
      assert.equal(copy.userId, user.id);
      assert.deepEqual(sorted(copy.flags), sorted(['\\Seen', '$Work']));
      assert.equal(copy.internalDate.getTime(), internalDate.getTime());
      assert.equal(copy.headers.subject, 'keep');
      assert.deepEqual(copy.meta, { lines: 1 });
      assert.equal(copy.size, original.size);
      assert.deepEqual(copy.parts, original.parts);
      assert.deepEqual((await store.getMessage(source.id, 1))?.flags, ['\\Seen', '\\Recent', '$Work'], 'the original keeps \\Recent');
    });

    it('adds a blob reference per copied part and the copied size to the user storage', async () => {
      const { store } = await fresh();
      const { user, mailbox: source } = await seedMailbox(store);
      const target = await store.createMailbox(user.id, 'Archive');
      const { message } = await store.appendMessage(source.id, { parts: [bytes('head\r\n\r\n'), bytes('body\r\n')] });
      await store.copyMessages(source.id, [1], target.id);
      for (const hash of message.parts) assert.equal(await store.blobRefs(hash), 2);
      assert.equal(await storageUsed(store), message.size * 2);
      await store.expungeMessages(source.id, [1]);
      for (const hash of message.parts) assert.equal(await store.blobRefs(hash), 1, 'the copy still holds its blobs');
      assert.equal((await store.readMessage(message)).toString(), 'head\r\n\r\nbody\r\n');
    });

    it('journals an append in the destination for each copy', async () => {
      const { store } = await fresh();
      const { user, mailbox: source } = await seedMailbox(store);
      const target = await store.createMailbox(user.id, 'Archive');
      await appendText(store, source.id, 'one', { flags: ['\\Seen', '\\Recent'] });
      await appendText(store, source.id, 'two');
      await store.copyMessages(source.id, [1, 2], target.id);
      const copies = await store.listMessages(target.id);
      assert.deepEqual(await journalLines(store, target.id), [
        { kind: 'append', uid: 1, modseq: 2, messageId: nth(copies, 0).id, flags: ['\\Seen'] },
        { kind: 'append', uid: 2, modseq: 3, messageId: nth(copies, 1).id, flags: [] },
      ]);
      assert.deepEqual((await journalLines(store, source.id)).map((e) => e.kind), ['append', 'append'], 'nothing is journaled in the source');
    });

    it("refuses to copy to another user's mailbox with code 'invalid' and copies nothing", async () => {
      const { store } = await fresh();
      const { mailbox: alices } = await seedMailbox(store, 'INBOX', 'alice@example.com');
      const { mailbox: bobs } = await seedMailbox(store, 'INBOX', 'bob@example.com');
      const { message } = await appendText(store, alices.id, 'private');
      await rejectsWithStoreError(store.copyMessages(alices.id, [1], bobs.id), 'invalid');
      assert.equal(await store.countMessages(bobs.id), 0);
      assert.equal((await store.getMailboxById(bobs.id))?.highestModseq, NEW_MAILBOX_MODSEQ, 'the destination is not touched');
      assert.equal(await store.blobRefs(nth(message.parts, 0)), 1);
      assert.equal(await storageUsed(store, 'bob@example.com'), 0);
    });

    it('refuses to copy to an unknown mailbox with a StoreError', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'one');
      await assert.rejects(store.copyMessages(mailbox.id, [1], newId<MailboxId>()), (err: unknown) => {
        assert.ok(err instanceof Error && 'code' in err && (err.code === 'not_found' || err.code === 'invalid'), `expected a StoreError, got ${String(err)}`);
        return true;
      });
    });

    it('copies nothing when no uid exists', async () => {
      const { store } = await fresh();
      const { user, mailbox: source } = await seedMailbox(store);
      const target = await store.createMailbox(user.id, 'Archive');
      const result = await store.copyMessages(source.id, [1, 2], target.id);
      assert.deepEqual(result.uidMap, []);
      assert.equal(result.uidValidity, target.uidValidity);
      assert.equal(result.mailbox.uidNext, 1);
    });
  });

  describe('moving messages', () => {
    it('moves messages: new uids in the destination, expunged from the source, both journaled', async () => {
      const { store } = await fresh();
      const { user, mailbox: source } = await seedMailbox(store);
      const target = await store.createMailbox(user.id, 'Archive');
      const one = await appendText(store, source.id, 'one', { flags: ['\\Recent', '\\Flagged'] });
      await appendText(store, source.id, 'two');
      const three = await appendText(store, source.id, 'three');

      const result = await store.moveMessages(source.id, [3, 1], target.id);

      assert.deepEqual(result.uidMap, [
        { sourceUid: 1, destinationUid: 1 },
        { sourceUid: 3, destinationUid: 2 },
      ]);
      assert.equal(result.uidValidity, target.uidValidity);
      assert.equal(result.mailbox.uidNext, 3);
      assert.deepEqual((await store.listMessages(source.id)).map((m) => m.uid), [2]);
      const moved = await store.listMessages(target.id);
      assert.deepEqual(moved.map((m) => m.uid), [1, 2]);
      assert.deepEqual(nth(moved, 0).flags, ['\\Flagged']);
      assert.equal((await store.readMessage(nth(moved, 1))).toString(), 'three');

      const sourceJournal = await journalLines(store, source.id, 4);
      assert.deepEqual(sourceJournal, [
        { kind: 'expunge', uid: 1, modseq: 5, messageId: one.message.id },
        { kind: 'expunge', uid: 3, modseq: 6, messageId: three.message.id },
      ]);
      assert.deepEqual(
        (await journalLines(store, target.id)).map((e) => `${e.kind} ${e.uid}@${e.modseq}`),
        ['append 1@2', 'append 2@3'],
      );
    });

    it('keeps blob references and user storage unchanged by a move', async () => {
      const { store } = await fresh();
      const { user, mailbox: source } = await seedMailbox(store);
      const target = await store.createMailbox(user.id, 'Archive');
      const { message } = await store.appendMessage(source.id, { parts: [bytes('head\r\n\r\n'), bytes('moved body\r\n')] });
      await store.moveMessages(source.id, [1], target.id);
      for (const hash of message.parts) assert.equal(await store.blobRefs(hash), 1);
      assert.equal(await storageUsed(store), message.size);
      const moved = await store.getMessage(target.id, 1);
      assert.ok(moved);
      assert.equal((await store.readMessage(moved)).toString(), 'head\r\n\r\nmoved body\r\n');
    });

    it("refuses to move to another user's mailbox with code 'invalid' and moves nothing", async () => {
      const { store } = await fresh();
      const { mailbox: alices } = await seedMailbox(store, 'INBOX', 'alice@example.com');
      const bob = await seedUser(store, 'bob@example.com');
      const bobs = await store.createMailbox(bob.id, 'INBOX');
      await appendText(store, alices.id, 'private');
      await rejectsWithStoreError(store.moveMessages(alices.id, [1], bobs.id), 'invalid');
      assert.equal(await store.countMessages(alices.id), 1);
      assert.equal(await store.countMessages(bobs.id), 0);
      assert.equal((await store.getMailboxById(alices.id))?.highestModseq, 2);
    });
  });
}
