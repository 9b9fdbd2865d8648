// Mailboxes: creation defaults, exact paths, uniqueness per user, rename with children, cascade on delete.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../ids.js';
import { NEW_MAILBOX_MODSEQ } from '../modseq.js';
import type { MailboxId, ModSeq, UserId } from '../types.js';
import type { FreshStore } from './harness.js';
import { appendText, assertDate, assertJournalGone, bytes, ID_PATTERN, rejectsWithConflict, rejectsWithNotFound, seedUser, sorted, storageUsed } from './support.js';

export function registerMailboxTests(fresh: FreshStore): void {
  describe('mailboxes', () => {
    it('creates a mailbox with uidNext 1, highestModseq 1 (RFC 7162 §3.1.1: positive), a non-zero 32-bit uidValidity and defaults', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const mailbox = await store.createMailbox(user.id, 'INBOX');
      assert.match(mailbox.id, ID_PATTERN);
      assert.equal(mailbox.userId, user.id);
      assert.equal(mailbox.path, 'INBOX');
      assert.equal(mailbox.uidNext, 1);
      assert.equal(mailbox.highestModseq, 1);
      assert.equal(mailbox.highestModseq, NEW_MAILBOX_MODSEQ);
      assert.equal((await store.getMailboxById(mailbox.id))?.highestModseq, 1, 'as stored');
      assert.equal(mailbox.subscribed, false);
      assert.equal(mailbox.specialUse, null);
      assert.ok(Number.isInteger(mailbox.uidValidity) && mailbox.uidValidity > 0 && mailbox.uidValidity <= 0xffffffff, `uidValidity ${mailbox.uidValidity}`);
      assertDate(mailbox.createdAt, 'createdAt');
    });

    it('keeps the special-use attribute and subscription given at creation', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      await store.createMailbox(user.id, 'Sent Messages', { specialUse: '\\Sent', subscribed: true });
      const mailbox = await store.getMailbox(user.id, 'Sent Messages');
      assert.equal(mailbox?.specialUse, '\\Sent');
      assert.equal(mailbox?.subscribed, true);
    });

    it('keeps a given UIDVALIDITY, and raiseUidNext makes the next append take that UID (an import keeping UIDs)', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const mailbox = await store.createMailbox(user.id, 'Imported', { uidValidity: 1733520000 });
      assert.equal(mailbox.uidValidity, 1733520000);
      assert.equal((await store.raiseUidNext(mailbox.id, 5)).uidNext, 5);
      const first = await appendText(store, mailbox.id, 'Subject: five\r\n\r\n');
      assert.equal(first.message.uid, 5);
      assert.equal(first.mailbox.uidNext, 6);
      // never lowered: RFC 3501 §2.3.1.1 UIDs only ascend
      assert.equal((await store.raiseUidNext(mailbox.id, 3)).uidNext, 6);
      await store.raiseUidNext(mailbox.id, 9);
      const second = await appendText(store, mailbox.id, 'Subject: nine\r\n\r\n');
      assert.equal(second.message.uid, 9);
      assert.ok(second.message.modseq > first.message.modseq, 'each append still takes a new MODSEQ');
      const journal = await store.readJournal(mailbox.id, 0 as ModSeq);
      assert.deepEqual(journal.map((entry) => [entry.kind, entry.uid]), [['append', 5], ['append', 9]]);
      await store.raiseUidNext(mailbox.id, 20);
      assert.equal((await store.getMailboxById(mailbox.id))?.uidNext, 20);
      await rejectsWithNotFound(store.raiseUidNext(newId<MailboxId>(), 2));
    });

    it('refuses a duplicate mailbox path for the same user with StoreConflictError', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      await store.createMailbox(user.id, 'Archive/2026');
      await rejectsWithConflict(store.createMailbox(user.id, 'Archive/2026'));
      assert.equal((await store.listMailboxes(user.id)).length, 1);
    });

    it('lets two users have a mailbox with the same path', async () => {
      const { store } = await fresh();
      const alice = await seedUser(store, 'alice@example.com');
      const bob = await seedUser(store, 'bob@example.com');
      const a = await store.createMailbox(alice.id, 'INBOX');
      const b = await store.createMailbox(bob.id, 'INBOX');
      assert.notEqual(a.id, b.id);
      assert.equal((await store.getMailbox(bob.id, 'INBOX'))?.id, b.id);
    });

    it('treats mailbox paths as exact strings', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const upper = await store.createMailbox(user.id, 'Work');
      const lower = await store.createMailbox(user.id, 'work');
      assert.notEqual(upper.id, lower.id);
      assert.equal((await store.getMailbox(user.id, 'Work'))?.id, upper.id);
      assert.equal(await store.getMailbox(user.id, 'WORK'), null);
    });

    it('finds a mailbox by user and path and by id, and returns null for unknown ones', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const created = await store.createMailbox(user.id, 'Drafts', { specialUse: '\\Drafts' });
      const byPath = await store.getMailbox(user.id, 'Drafts');
      const byId = await store.getMailboxById(created.id);
      assert.equal(byPath?.id, created.id);
      assert.equal(byId?.path, 'Drafts');
      assert.equal(byId?.uidValidity, created.uidValidity);
      assertDate(byId?.createdAt, 'createdAt');
      assert.equal(await store.getMailbox(user.id, 'Nope'), null);
      assert.equal(await store.getMailbox(newId<UserId>(), 'Drafts'), null);
      assert.equal(await store.getMailboxById(newId<MailboxId>()), null);
    });

    it("lists only the user's mailboxes, sorted by path", async () => {
      const { store } = await fresh();
      const alice = await seedUser(store, 'alice@example.com');
      const bob = await seedUser(store, 'bob@example.com');
      for (const path of ['Sent', 'INBOX', 'Archive/2026', 'Drafts', 'Archive']) await store.createMailbox(alice.id, path);
      await store.createMailbox(bob.id, 'Bobs');
      assert.deepEqual((await store.listMailboxes(alice.id)).map((m) => m.path), ['Archive', 'Archive/2026', 'Drafts', 'INBOX', 'Sent']);
      assert.deepEqual(await store.listMailboxes(newId<UserId>()), []);
    });

    it('renames a mailbox and every mailbox below it, keeping ids, uidValidity and messages', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const projects = await store.createMailbox(user.id, 'Projects');
      const alpha = await store.createMailbox(user.id, 'Projects/Alpha');
      const docs = await store.createMailbox(user.id, 'Projects/Alpha/Docs');
      await store.createMailbox(user.id, 'ProjectsOld');
      await store.createMailbox(user.id, 'INBOX');
      await appendText(store, alpha.id, 'Subject: plan\r\n\r\nthe plan\r\n');

      const renamed = await store.renameMailbox(user.id, 'Projects', 'Work');

      assert.deepEqual(sorted(renamed.map((m) => m.path)), ['Work', 'Work/Alpha', 'Work/Alpha/Docs']);
      assert.deepEqual((await store.listMailboxes(user.id)).map((m) => m.path), ['INBOX', 'ProjectsOld', 'Work', 'Work/Alpha', 'Work/Alpha/Docs']);
      for (const before of [projects, alpha, docs]) {
        const after = await store.getMailboxById(before.id);
        assert.ok(after, `${before.path} still exists under its id`);
        assert.equal(after.uidValidity, before.uidValidity, `${before.path} keeps its uidValidity`);
      }
      assert.equal((await store.getMailbox(user.id, 'Work/Alpha'))?.id, alpha.id);
      assert.equal(await store.getMailbox(user.id, 'Projects'), null);
      assert.equal(await store.getMailbox(user.id, 'Projects/Alpha'), null);
      assert.equal((await store.getMessage(alpha.id, 1))?.size, 'Subject: plan\r\n\r\nthe plan\r\n'.length);
    });

    it('renames by literal path, not as a pattern', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      // '.', '_', '%', '*' and '[' mean something in regexes, LIKE and GLOB; here they are plain characters.
      const decoys = ['aXb_c%ddx/child', 'a.bXc%d*[x]/child', 'a.b_c%dZZx/child', 'A.b_c%d*[x]/child', 'a.b_c%d*[x]Z'];
      for (const path of ['a.b_c%d*[x]', 'a.b_c%d*[x]/child', ...decoys]) await store.createMailbox(user.id, path);
      const renamed = await store.renameMailbox(user.id, 'a.b_c%d*[x]', 'plain');
      assert.deepEqual(sorted(renamed.map((m) => m.path)), ['plain', 'plain/child']);
      assert.deepEqual((await store.listMailboxes(user.id)).map((m) => m.path), sorted([...decoys, 'plain', 'plain/child']));
    });

    it("renames only the given user's mailboxes", async () => {
      const { store } = await fresh();
      const alice = await seedUser(store, 'alice@example.com');
      const bob = await seedUser(store, 'bob@example.com');
      await store.createMailbox(alice.id, 'Projects');
      await store.createMailbox(bob.id, 'Projects');
      await store.createMailbox(bob.id, 'Projects/Beta');
      await store.renameMailbox(alice.id, 'Projects', 'Work');
      assert.deepEqual((await store.listMailboxes(bob.id)).map((m) => m.path), ['Projects', 'Projects/Beta']);
    });

    it('refuses to rename onto a taken path with StoreConflictError and renames nothing', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      for (const path of ['A', 'A/x', 'C']) await store.createMailbox(user.id, path);
      await rejectsWithConflict(store.renameMailbox(user.id, 'A', 'C'));
      assert.deepEqual((await store.listMailboxes(user.id)).map((m) => m.path), ['A', 'A/x', 'C']);
    });

    it('refuses a rename whose child target is taken with StoreConflictError and renames nothing', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      for (const path of ['A', 'A/a', 'A/x', 'B/x']) await store.createMailbox(user.id, path);
      await rejectsWithConflict(store.renameMailbox(user.id, 'A', 'B'));
      assert.deepEqual((await store.listMailboxes(user.id)).map((m) => m.path), ['A', 'A/a', 'A/x', 'B/x']);
    });

    it('refuses to rename an unknown mailbox with StoreNotFoundError', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      await store.createMailbox(user.id, 'Projects/Alpha');
      await rejectsWithNotFound(store.renameMailbox(user.id, 'Projects', 'Work'));
      assert.deepEqual((await store.listMailboxes(user.id)).map((m) => m.path), ['Projects/Alpha']);
    });

    it('subscribes and unsubscribes a mailbox, returning null for an unknown one', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const mailbox = await store.createMailbox(user.id, 'Lists');
      assert.equal((await store.setSubscribed(mailbox.id, true))?.subscribed, true);
      assert.equal((await store.getMailboxById(mailbox.id))?.subscribed, true);
      assert.equal((await store.setSubscribed(mailbox.id, false))?.subscribed, false);
      assert.equal((await store.getMailboxById(mailbox.id))?.subscribed, false);
      assert.equal(await store.setSubscribed(newId<MailboxId>(), true), null);
    });

    it('deletes a mailbox with its messages and journal, releasing blobs and user storage', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const trash = await store.createMailbox(user.id, 'Trash');
      const inbox = await store.createMailbox(user.id, 'INBOX');
      const shared = bytes('attachment used twice\r\n');
      const gone = await store.appendMessage(trash.id, { parts: [bytes('header one\r\n\r\n'), shared] });
      await store.appendMessage(trash.id, { parts: [bytes('header two\r\n\r\n')] });
      const kept = await store.appendMessage(inbox.id, { parts: [shared] });
      const [ownHash, sharedHash] = gone.message.parts;
      assert.ok(ownHash && sharedHash);

      assert.equal(await store.deleteMailbox(trash.id), true);

      assert.equal(await store.getMailboxById(trash.id), null);
      assert.equal(await store.getMessageById(gone.message.id), null);
      assert.equal(await store.blobRefs(ownHash), 0);
      assert.equal(await store.getBlob(ownHash), null);
      assert.equal(await store.blobRefs(sharedHash), 1, 'the INBOX copy still holds the shared blob');
      assert.equal(await storageUsed(store), kept.message.size);
      await assertJournalGone(store.readJournal(trash.id, 0));
      assert.equal(await store.deleteMailbox(trash.id), false);
      assert.deepEqual((await store.listMailboxes(user.id)).map((m) => m.path), ['INBOX']);
    });

    it('claims \\Recent by raising the mark: returns the mark before, never lowers it (RFC 3501 §2.3.2)', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const mailbox = await store.createMailbox(user.id, 'INBOX');
      assert.equal(mailbox.recentUid, 0, 'a new mailbox has nothing claimed');
      assert.equal(await store.claimRecent(mailbox.id, 3), 0, 'UIDs 1..3 are the first claimer\'s');
      assert.equal(await store.claimRecent(mailbox.id, 3), 3, 'a second claim of the same UIDs gets none');
      assert.equal(await store.claimRecent(mailbox.id, 2), 3, 'a lower claim gets none and keeps the mark');
      assert.equal((await store.getMailboxById(mailbox.id))?.recentUid, 3);
      assert.equal(await store.claimRecent(mailbox.id, 5), 3, 'UIDs 4..5 go to the next claimer');
      assert.equal((await store.getMailbox(user.id, 'INBOX'))?.recentUid, 5);
      assert.equal(await store.claimRecent(mailbox.id, 0), 5, 'a claim up to 0 only reads the mark');
      await rejectsWithNotFound(store.claimRecent(newId<MailboxId>(), 1));
    });

    it('gives a re-created mailbox a fresh start at uid 1', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const first = await store.createMailbox(user.id, 'Scratch');
      await appendText(store, first.id, 'one');
      await store.deleteMailbox(first.id);
      const again = await store.createMailbox(user.id, 'Scratch');
      assert.notEqual(again.id, first.id);
      assert.equal(again.uidNext, 1);
      assert.equal(again.highestModseq, 1);
      assert.equal((await appendText(store, again.id, 'two')).message.uid, 1);
    });
  });
}
