// Where a mailbox's mod-sequences start (RFC 7162 §3.1.1): at 1, its first change at 2.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NEW_MAILBOX_MODSEQ } from '../modseq.js';
import type { FreshStore } from './harness.js';
import { appendText, journalLines, rejectsWithStoreError, seedMailbox, sleep } from './support.js';

export function registerModseqStartTests(fresh: FreshStore): void {
  describe('the starting MODSEQ of a mailbox (RFC 7162 §3.1.1)', () => {
    it('a new mailbox has HIGHESTMODSEQ 1, positive as §7 mod-sequence-value requires, and its journal is empty and whole from 0 and 1', async () => {
      const { store, openPeer } = await fresh();
      const { mailbox } = await seedMailbox(store);
      assert.equal(NEW_MAILBOX_MODSEQ, 1);
      assert.equal(mailbox.highestModseq, 1);
      assert.equal((await (await openPeer()).getMailboxById(mailbox.id))?.highestModseq, 1, 'as another connection reads it');
      assert.deepEqual(await journalLines(store, mailbox.id, 0), []);
      assert.deepEqual(await journalLines(store, mailbox.id, 1), []);
      assert.deepEqual(await store.listMessages(mailbox.id, { changedSince: 1 }), []);
    });

    it('the first change gets 2, so a client that saw HIGHESTMODSEQ 1 and asks CHANGEDSINCE 1 is told of it (§3.1.4)', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const first = await appendText(store, mailbox.id, 'first', { flags: ['\\Seen'] });
      assert.equal(first.message.modseq, 2);
      assert.equal(first.mailbox.highestModseq, 2);
      assert.deepEqual((await store.listMessages(mailbox.id, { changedSince: 1 })).map((m) => `${m.uid}@${m.modseq}`), ['1@2']);
      assert.deepEqual(await store.listMessageFlags(mailbox.id, { changedSince: 1 }), [{ uid: 1, modseq: 2, flags: ['\\Seen'] }]);
      assert.deepEqual(await store.listMessageFlags(mailbox.id, { changedSince: 2 }), []);
      // Read at once (the entry is seconds young): from the mailbox's start, 2 is the next MODSEQ, not a hole.
      const entry = { kind: 'append', uid: 1, modseq: 2, messageId: first.message.id, flags: ['\\Seen'] };
      assert.deepEqual(await journalLines(store, mailbox.id, 1), [entry]);
      assert.deepEqual(await journalLines(store, mailbox.id, 0), [entry]);
    });

    it('a copy into a new mailbox takes 2 there, and the changes after it (flags, an expunge in the source) follow on', async () => {
      const { store } = await fresh();
      const { user, mailbox: source } = await seedMailbox(store);
      const target = await store.createMailbox(user.id, 'Archive');
      await appendText(store, source.id, 'one');
      const copied = await store.copyMessages(source.id, [1], target.id);
      assert.equal(copied.mailbox.highestModseq, 2);
      assert.deepEqual((await store.updateFlags(target.id, [1], { op: 'add', flags: ['\\Flagged'] })).updated, [{ uid: 1, flags: ['\\Flagged'], modseq: 3 }]);
      assert.deepEqual(await store.expungeMessages(source.id, [1]), [1]);
      assert.deepEqual((await journalLines(store, source.id, 1)).map((e) => `${e.kind}@${e.modseq}`), ['append@2', 'expunge@3']);
    });

    it('retention keeps a new mailbox whole from its start: one entry stays, two lose the older one and a read from 1 is then pruned', async () => {
      const { store } = await fresh();
      const { user, mailbox } = await seedMailbox(store);
      const single = await store.createMailbox(user.id, 'Single');
      await appendText(store, single.id, 'only');
      await appendText(store, mailbox.id, 'one');
      await appendText(store, mailbox.id, 'two');
      await sleep(5);
      assert.equal(await store.pruneJournal(new Date(Date.now() + 60_000)), 1);
      assert.deepEqual((await journalLines(store, single.id, 1)).map((e) => e.modseq), [2], 'the newest entry is kept and reads from 1 are whole');
      await rejectsWithStoreError(store.readJournal(mailbox.id, 1), 'journal_pruned');
      await rejectsWithStoreError(store.readJournal(mailbox.id, 0), 'journal_pruned');
      assert.deepEqual((await journalLines(store, mailbox.id, 2)).map((e) => e.modseq), [3]);
    });
  });
}
