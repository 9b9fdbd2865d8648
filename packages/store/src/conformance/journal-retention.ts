// Journal retention (pruneJournal) and what readJournal answers once a prefix is gone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JournalPrunedError } from '../errors.js';
import type { FreshStore } from './harness.js';
import { appendText, journalLines, rejectsWithStoreError, seedMailbox, sleep } from './support.js';

export function registerJournalRetentionTests(fresh: FreshStore): void {
  describe('journal retention', () => {
    it('prunes the entries written before the cutoff and keeps the later ones', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      for (let i = 1; i <= 3; i++) await appendText(store, mailbox.id, `old ${i}`);
      await store.updateFlags(mailbox.id, [1], { op: 'add', flags: ['\\Seen'] });
      await sleep(20);
      const cutoff = new Date();
      await sleep(20);
      await appendText(store, mailbox.id, 'new');
      await store.expungeMessages(mailbox.id, [2]);
      assert.equal(await store.pruneJournal(cutoff), 4);
      assert.deepEqual((await journalLines(store, mailbox.id, 5)).map((e) => [e.kind, e.modseq]), [['append', 6], ['expunge', 7]]);
      // A second run finds nothing more to prune.
      assert.equal(await store.pruneJournal(cutoff), 0);
    });

    it('answers a read from before the oldest kept entry with JournalPrunedError, never with the partial rest', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      for (let i = 1; i <= 3; i++) await appendText(store, mailbox.id, `old ${i}`);
      await sleep(20);
      const cutoff = new Date();
      await sleep(20);
      await appendText(store, mailbox.id, 'new');
      await store.pruneJournal(cutoff);
      for (const since of [0, 1, 2, 3]) {
        await rejectsWithStoreError(store.readJournal(mailbox.id, since), 'journal_pruned');
      }
      await assert.rejects(store.readJournal(mailbox.id, 3), (err: unknown) => err instanceof JournalPrunedError && err.oldestKept === 5 && err.since === 3);
      // From the newest pruned MODSEQ on, the journal is whole again.
      assert.deepEqual((await journalLines(store, mailbox.id, 4)).map((e) => e.modseq), [5]);
      assert.deepEqual(await journalLines(store, mailbox.id, 5), []);
    });

    it("keeps each mailbox's newest entry, however old, so that an opener sees the journal reach the highest MODSEQ", async () => {
      const { store } = await fresh();
      const { user, mailbox } = await seedMailbox(store);
      const quiet = await store.createMailbox(user.id, 'Quiet');
      for (let i = 1; i <= 3; i++) await appendText(store, mailbox.id, `inbox ${i}`);
      await appendText(store, quiet.id, 'quiet 1');
      assert.equal(await store.pruneJournal(new Date(Date.now() + 60_000)), 2);
      assert.deepEqual((await journalLines(store, mailbox.id, 3)).map((e) => e.modseq), [4]);
      assert.deepEqual((await journalLines(store, quiet.id, 0)).map((e) => e.modseq), [2], 'a one-entry journal is left whole');
      const empty = await store.createMailbox(user.id, 'Empty');
      assert.deepEqual(await journalLines(store, empty.id, 0), []);
    });

    it('prunes a long journal in full (batched) and reports the count', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const messages = 200;
      const rounds = 12;
      for (let i = 1; i <= messages; i++) await appendText(store, mailbox.id, `message ${i}`);
      const uids = Array.from({ length: messages }, (_, i) => i + 1);
      // Each round changes every message: one entry per message.
      for (let round = 0; round < rounds; round++) await store.updateFlags(mailbox.id, uids, { op: round % 2 === 0 ? 'add' : 'remove', flags: ['\\Seen'] });
      const entries = messages * (rounds + 1);
      const started = performance.now();
      const pruned = await store.pruneJournal(new Date(Date.now() + 60_000));
      const ms = performance.now() - started;
      console.log(`store conformance: pruneJournal removed ${pruned} of ${entries} journal entries in ${ms.toFixed(0)} ms`);
      assert.equal(pruned, entries - 1);
      // the mailbox started at MODSEQ 1: its entries are 2..entries + 1
      assert.deepEqual((await journalLines(store, mailbox.id, entries)).map((e) => e.modseq), [entries + 1]);
    });
  });
}
