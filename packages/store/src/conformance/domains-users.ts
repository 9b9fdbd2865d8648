// Domains and users: normalised keys, uniqueness, sort order, cascade on delete.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../ids.js';
import type { UserId } from '../types.js';
import type { FreshStore } from './harness.js';
import { appendText, assertDate, assertJournalGone, bytes, ID_PATTERN, rejectsWithConflict, rejectsWithNotFound, seedMailbox } from './support.js';

export function registerDomainAndUserTests(fresh: FreshStore): void {
  describe('domains', () => {
    it('stores a domain lower-case with its creation date', async () => {
      const { store } = await fresh();
      const domain = await store.addDomain('Example.COM');
      assert.equal(domain.name, 'example.com');
      assertDate(domain.createdAt, 'createdAt');
    });

    it('finds a domain given in any case and returns null for an unknown one', async () => {
      const { store } = await fresh();
      await store.addDomain('example.com');
      assert.equal((await store.getDomain('EXAMPLE.Com'))?.name, 'example.com');
      assert.equal(await store.getDomain('example.org'), null);
    });

    it('refuses a duplicate domain given in other case with StoreConflictError', async () => {
      const { store } = await fresh();
      await store.addDomain('example.com');
      await rejectsWithConflict(store.addDomain('EXAMPLE.com'));
      assert.equal((await store.listDomains()).length, 1);
    });

    it('lists domains sorted by name', async () => {
      const { store } = await fresh();
      for (const name of ['zulu.test', 'alpha.test', 'Mike.test']) await store.addDomain(name);
      assert.deepEqual((await store.listDomains()).map((d) => d.name), ['alpha.test', 'mike.test', 'zulu.test']);
    });

    it('deletes only the domain record, keeping its users, and returns false when absent', async () => {
      const { store } = await fresh();
      await store.addDomain('example.com');
      await store.addUser({ address: 'alice@example.com', passwordHash: '{PLAIN}x' });
      assert.equal(await store.deleteDomain('EXAMPLE.com'), true);
      assert.equal(await store.getDomain('example.com'), null);
      assert.ok(await store.getUser('alice@example.com'), 'the user stays');
      assert.equal(await store.deleteDomain('example.com'), false);
    });
  });

  describe('users', () => {
    it('stores a new user under the lower-case address with defaults filled in', async () => {
      const { store } = await fresh();
      const user = await store.addUser({ address: 'Alice@Example.COM', passwordHash: '{BLF-CRYPT}$2b$05$abc' });
      assert.match(user.id, ID_PATTERN);
      assert.equal(user.address, 'alice@example.com');
      assert.equal(user.domain, 'example.com');
      assert.equal(user.passwordHash, '{BLF-CRYPT}$2b$05$abc');
      assert.equal(user.name, null);
      assert.equal(user.quota, 0);
      assert.equal(user.storageUsed, 0);
      assert.equal(user.disabled, false);
      assertDate(user.createdAt, 'createdAt');
    });

    it('keeps the name, quota and disabled flag given at creation', async () => {
      const { store } = await fresh();
      await store.addUser({ address: 'bob@example.com', passwordHash: 'h', name: 'Bob Example', quota: 1048576, disabled: true });
      const user = await store.getUser('bob@example.com');
      assert.ok(user);
      assert.equal(user.name, 'Bob Example');
      assert.equal(user.quota, 1048576);
      assert.equal(user.disabled, true);
    });

    it('finds a user by address in any case and by id, and returns null for unknown ones', async () => {
      const { store } = await fresh();
      const created = await store.addUser({ address: 'alice@example.com', passwordHash: 'h' });
      assert.equal((await store.getUser('ALICE@example.COM'))?.id, created.id);
      const byId = await store.getUserById(created.id);
      assert.equal(byId?.address, 'alice@example.com');
      assertDate(byId?.createdAt, 'createdAt');
      assert.equal(await store.getUser('nobody@example.com'), null);
      assert.equal(await store.getUserById(newId<UserId>()), null);
    });

    it('refuses a second user with the same address in other case with StoreConflictError', async () => {
      const { store } = await fresh();
      await store.addUser({ address: 'alice@example.com', passwordHash: 'h' });
      await rejectsWithConflict(store.addUser({ address: 'ALICE@Example.com', passwordHash: 'other' }));
      assert.equal(await store.countUsers(), 1);
      assert.equal((await store.getUser('alice@example.com'))?.passwordHash, 'h');
    });

    it('lists users sorted by address and filters them by domain in any case', async () => {
      const { store } = await fresh();
      for (const address of ['zoe@example.com', 'bob@example.org', 'Amy@example.com', 'carl@example.com']) {
        await store.addUser({ address, passwordHash: 'h' });
      }
      assert.deepEqual(
        (await store.listUsers()).map((u) => u.address),
        ['amy@example.com', 'bob@example.org', 'carl@example.com', 'zoe@example.com'],
      );
      assert.deepEqual((await store.listUsers({ domain: 'EXAMPLE.com' })).map((u) => u.address), ['amy@example.com', 'carl@example.com', 'zoe@example.com']);
      assert.deepEqual(await store.listUsers({ domain: 'example.net' }), []);
    });

    it('counts users in all and per domain', async () => {
      const { store } = await fresh();
      for (const address of ['a@example.com', 'b@example.com', 'c@example.org']) await store.addUser({ address, passwordHash: 'h' });
      assert.equal(await store.countUsers(), 3);
      assert.equal(await store.countUsers({ domain: 'Example.COM' }), 2);
      assert.equal(await store.countUsers({ domain: 'example.net' }), 0);
    });

    it('updates only the fields given and returns the updated user', async () => {
      const { store } = await fresh();
      await store.addUser({ address: 'alice@example.com', passwordHash: 'old', name: 'Alice', quota: 100 });
      const changed = await store.updateUser('ALICE@example.com', { passwordHash: 'new', quota: 2048 });
      assert.ok(changed);
      assert.equal(changed.passwordHash, 'new');
      assert.equal(changed.quota, 2048);
      assert.equal(changed.name, 'Alice');
      assert.equal(changed.disabled, false);
      const again = await store.updateUser('alice@example.com', { name: null, disabled: true });
      assert.equal(again?.name, null);
      assert.equal(again?.disabled, true);
      const stored = await store.getUser('alice@example.com');
      assert.equal(stored?.passwordHash, 'new');
      assert.equal(stored?.quota, 2048);
      assert.equal(stored?.name, null);
      assert.equal(stored?.disabled, true);
    });

    it('returns null when updating an unknown user', async () => {
      const { store } = await fresh();
      assert.equal(await store.updateUser('nobody@example.com', { quota: 1 }), null);
    });

    it('deletes a user given in any case and returns false the second time', async () => {
      const { store } = await fresh();
      const user = await store.addUser({ address: 'alice@example.com', passwordHash: 'h' });
      assert.equal(await store.deleteUser('Alice@EXAMPLE.com'), true);
      assert.equal(await store.getUser('alice@example.com'), null);
      assert.equal(await store.getUserById(user.id), null);
      assert.equal(await store.deleteUser('alice@example.com'), false);
    });

    it('deletes the user with its mailboxes, messages and journal, releasing their blobs', async () => {
      const { store } = await fresh();
      const { user, mailbox: inbox } = await seedMailbox(store, 'INBOX', 'alice@example.com');
      const archive = await store.createMailbox(user.id, 'Archive');
      const { mailbox: bobInbox } = await seedMailbox(store, 'INBOX', 'bob@example.com');
      const shared = bytes('a shared attachment\r\n');
      const own = bytes('only alice has this\r\n');
      const first = await store.appendMessage(inbox.id, { parts: [own, shared] });
      await store.appendMessage(archive.id, { parts: [shared] });
      await store.appendMessage(bobInbox.id, { parts: [shared] });
      const sharedHash = first.message.parts[1];
      const ownHash = first.message.parts[0];
      assert.ok(sharedHash && ownHash);
      assert.equal(await store.blobRefs(sharedHash), 3);

      assert.equal(await store.deleteUser('alice@example.com'), true);

      assert.equal(await store.getMailboxById(inbox.id), null);
      assert.equal(await store.getMailboxById(archive.id), null);
      assert.deepEqual(await store.listMailboxes(user.id), []);
      assert.equal(await store.getMessageById(first.message.id), null);
      assert.equal(await store.blobRefs(ownHash), 0, 'the blob only alice used is released');
      assert.equal(await store.getBlob(ownHash), null);
      assert.equal(await store.blobRefs(sharedHash), 1, 'bob still references the shared blob');
      assert.ok(await store.getBlob(sharedHash));
      await assertJournalGone(store.readJournal(inbox.id, 0));
      // Bob's mail is untouched.
      assert.equal(await store.countMessages(bobInbox.id), 1);
    });

    it('keeps the storage of other users when one user is deleted', async () => {
      const { store } = await fresh();
      const { mailbox: a } = await seedMailbox(store, 'INBOX', 'alice@example.com');
      const { mailbox: b } = await seedMailbox(store, 'INBOX', 'bob@example.com');
      await appendText(store, a.id, 'alice mail');
      const bobs = await appendText(store, b.id, 'bob mail, longer');
      await store.deleteUser('alice@example.com');
      assert.equal((await store.getUser('bob@example.com'))?.storageUsed, bobs.message.size);
    });

    it('refuses to append to a mailbox of a deleted user with StoreNotFoundError', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await store.deleteUser('alice@example.com');
      await rejectsWithNotFound(appendText(store, mailbox.id, 'too late'));
    });
  });
}
