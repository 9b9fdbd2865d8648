// Flag changes (add/remove/set, no-ops, RFC 7162 UNCHANGEDSINCE) and the change journal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FreshStore } from './harness.js';
import { appendText, journalLines, seedMailbox } from './support.js';

export function registerFlagAndJournalTests(fresh: FreshStore): void {
  describe('updating flags', () => {
    it('adds flags, giving each changed message the next modseq in uid order', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'one', { flags: ['\\Seen'] });
      await appendText(store, mailbox.id, 'two');
      await appendText(store, mailbox.id, 'three');
      const result = await store.updateFlags(mailbox.id, [3, 1], { op: 'add', flags: ['\\flagged', '$Work'] });
      assert.deepEqual(result.updated, [
        { uid: 1, flags: ['\\Seen', '\\Flagged', '$Work'], modseq: 5 },
        { uid: 3, flags: ['\\Flagged', '$Work'], modseq: 6 },
      ]);
      assert.deepEqual(result.modified, []);
      assert.equal(result.mailbox.highestModseq, 6);
      assert.equal(result.mailbox.uidNext, 4);
      const stored = await store.getMessage(mailbox.id, 1);
      assert.deepEqual(stored?.flags, ['\\Seen', '\\Flagged', '$Work']);
      assert.equal(stored?.modseq, 5);
      assert.equal((await store.getMessage(mailbox.id, 2))?.modseq, 3, 'an unselected message keeps its modseq');
      assert.equal((await store.getMailboxById(mailbox.id))?.highestModseq, 6);
    });

    it('removes flags given in any case', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'one', { flags: ['\\Seen', '\\Answered', '$Work'] });
      const result = await store.updateFlags(mailbox.id, [1], { op: 'remove', flags: ['\\SEEN', '$work'] });
      assert.deepEqual(result.updated, [{ uid: 1, flags: ['\\Answered'], modseq: 3 }]);
      assert.deepEqual((await store.getMessage(mailbox.id, 1))?.flags, ['\\Answered']);
    });

    it('replaces the flags with set', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'one', { flags: ['\\Seen', '$Old'] });
      const result = await store.updateFlags(mailbox.id, [1], { op: 'set', flags: ['\\draft', '$New'] });
      assert.deepEqual(result.updated, [{ uid: 1, flags: ['\\Draft', '$New'], modseq: 3 }]);
      const cleared = await store.updateFlags(mailbox.id, [1], { op: 'set', flags: [] });
      assert.deepEqual(cleared.updated, [{ uid: 1, flags: [], modseq: 4 }]);
      assert.deepEqual((await store.getMessage(mailbox.id, 1))?.flags, []);
    });

    it('changes nothing, not even the modseq, when the flags would stay the same', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'one', { flags: ['\\Seen', '$Work'] });
      const journalBefore = await journalLines(store, mailbox.id);
      const added = await store.updateFlags(mailbox.id, [1], { op: 'add', flags: ['\\SEEN'] });
      const removed = await store.updateFlags(mailbox.id, [1], { op: 'remove', flags: ['\\Deleted'] });
      const reordered = await store.updateFlags(mailbox.id, [1], { op: 'set', flags: ['$work', '\\seen'] });
      for (const result of [added, removed, reordered]) {
        assert.deepEqual(result.updated, []);
        assert.deepEqual(result.modified, []);
        assert.equal(result.mailbox.highestModseq, 2);
      }
      assert.equal((await store.getMessage(mailbox.id, 1))?.modseq, 2);
      assert.deepEqual(await journalLines(store, mailbox.id), journalBefore);
    });

    it('leaves messages changed after UNCHANGEDSINCE alone and reports them as modified', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      for (let i = 1; i <= 3; i++) await appendText(store, mailbox.id, `message ${i}`);
      // appends at modseqs 2..4 (the mailbox started at 1)
      await store.updateFlags(mailbox.id, [1], { op: 'add', flags: ['$Seen-elsewhere'] }); // uid 1 now at modseq 5
      const result = await store.updateFlags(mailbox.id, [1, 2, 3], { op: 'add', flags: ['\\Deleted'], unchangedSince: 4 });
      assert.deepEqual(result.modified, [1]);
      assert.deepEqual(result.updated, [
        { uid: 2, flags: ['\\Deleted'], modseq: 6 },
        { uid: 3, flags: ['\\Deleted'], modseq: 7 },
      ]);
      assert.deepEqual((await store.getMessage(mailbox.id, 1))?.flags, ['$Seen-elsewhere']);
      assert.equal((await store.getMessage(mailbox.id, 1))?.modseq, 5);
      assert.equal(result.mailbox.highestModseq, 7);
    });

    it('applies the change when the modseq equals UNCHANGEDSINCE', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'one');
      const result = await store.updateFlags(mailbox.id, [1], { op: 'add', flags: ['\\Seen'], unchangedSince: 2 });
      assert.deepEqual(result.modified, []);
      assert.deepEqual(result.updated.map((u) => u.uid), [1]);
    });

    it('ignores uids that do not exist', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'one');
      const result = await store.updateFlags(mailbox.id, [5, 1, 7], { op: 'add', flags: ['\\Seen'] });
      assert.deepEqual(result.updated, [{ uid: 1, flags: ['\\Seen'], modseq: 3 }]);
      assert.deepEqual(result.modified, []);
      const none = await store.updateFlags(mailbox.id, [8], { op: 'add', flags: ['\\Seen'] });
      assert.deepEqual(none.updated, []);
      assert.equal(none.mailbox.highestModseq, 3);
    });
  });

  describe('journal', () => {
    it('records append, flags and expunge in strictly ascending modseq order with the right kinds', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const one = await appendText(store, mailbox.id, 'one', { flags: ['\\recent'] });
      const two = await appendText(store, mailbox.id, 'two');
      await store.updateFlags(mailbox.id, [1, 2], { op: 'add', flags: ['\\Seen'] });
      await store.expungeMessages(mailbox.id, [2, 1]);
      const three = await appendText(store, mailbox.id, 'three');
      assert.deepEqual(await journalLines(store, mailbox.id), [
        { kind: 'append', uid: 1, modseq: 2, messageId: one.message.id, flags: ['\\Recent'] },
        { kind: 'append', uid: 2, modseq: 3, messageId: two.message.id, flags: [] },
        { kind: 'flags', uid: 1, modseq: 4, messageId: one.message.id, flags: ['\\Recent', '\\Seen'] },
        { kind: 'flags', uid: 2, modseq: 5, messageId: two.message.id, flags: ['\\Seen'] },
        { kind: 'expunge', uid: 1, modseq: 6, messageId: one.message.id },
        { kind: 'expunge', uid: 2, modseq: 7, messageId: two.message.id },
        { kind: 'append', uid: 3, modseq: 8, messageId: three.message.id, flags: [] },
      ]);
    });

    it('reads only entries after the given modseq, up to the limit', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      for (let i = 1; i <= 5; i++) await appendText(store, mailbox.id, `message ${i}`);
      assert.deepEqual((await journalLines(store, mailbox.id, 3)).map((e) => e.modseq), [4, 5, 6]);
      assert.deepEqual((await journalLines(store, mailbox.id, 2, 2)).map((e) => e.modseq), [3, 4]);
      assert.deepEqual(await journalLines(store, mailbox.id, 6), []);
    });

    it('keeps each mailbox journal apart', async () => {
      const { store } = await fresh();
      const { user, mailbox } = await seedMailbox(store);
      const other = await store.createMailbox(user.id, 'Other');
      await appendText(store, mailbox.id, 'inbox');
      const elsewhere = await appendText(store, other.id, 'other');
      assert.deepEqual((await journalLines(store, mailbox.id)).map((e) => e.modseq), [2]);
      assert.deepEqual(await journalLines(store, other.id), [{ kind: 'append', uid: 1, modseq: 2, messageId: elsewhere.message.id, flags: [] }]);
    });

    it('returns journal entries of the declared shape', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'one');
      const [entry] = await store.readJournal(mailbox.id, 0);
      assert.ok(entry);
      assert.equal(entry.mailboxId, mailbox.id);
      assert.equal(typeof entry.modseq, 'number');
      assert.equal(typeof entry.uid, 'number');
      assert.equal(typeof entry.messageId, 'string');
    });
  });
}
