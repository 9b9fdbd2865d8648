// Sieve scripts per user (RFC 5804) and the vacation memory (RFC 5230 §4.2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FreshStore } from './harness.js';
import { assertDate, rejectsWithConflict, seedUser } from './support.js';

export function registerSieveTests(fresh: FreshStore): void {
  describe('sieve scripts', () => {
    it('stores a script inactive, with its size in UTF-8 octets, and replaces its content keeping the active flag', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const put = await store.putSieveScript(user.id, 'vacation', 'keep; # café');
      assert.equal(put.name, 'vacation');
      assert.equal(put.content, 'keep; # café');
      assert.equal(put.size, Buffer.byteLength('keep; # café'));
      assert.equal(put.active, false);
      assertDate(put.updatedAt, 'updatedAt');
      assert.equal(await store.setActiveSieveScript(user.id, 'vacation'), true);
      const replaced = await store.putSieveScript(user.id, 'vacation', 'discard;');
      assert.equal(replaced.content, 'discard;');
      assert.equal(replaced.active, true);
      assert.equal((await store.getSieveScript(user.id, 'vacation'))?.content, 'discard;');
    });

    it('lists a user\'s scripts in name order and never another user\'s', async () => {
      const { store } = await fresh();
      const alice = await seedUser(store);
      const bob = await seedUser(store, 'bob@example.com');
      await store.putSieveScript(alice.id, 'b', 'keep;');
      await store.putSieveScript(alice.id, 'a', 'keep;');
      await store.putSieveScript(bob.id, 'c', 'keep;');
      assert.deepEqual((await store.listSieveScripts(alice.id)).map((s) => s.name), ['a', 'b']);
      assert.equal(await store.getSieveScript(bob.id, 'a'), null);
    });

    it('keeps at most one script active (RFC 5804 §2.8) and deactivates with null', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      await store.putSieveScript(user.id, 'one', 'keep;');
      await store.putSieveScript(user.id, 'two', 'keep;');
      assert.equal(await store.setActiveSieveScript(user.id, 'one'), true);
      assert.equal(await store.setActiveSieveScript(user.id, 'two'), true);
      assert.deepEqual((await store.listSieveScripts(user.id)).map((s) => [s.name, s.active]), [['one', false], ['two', true]]);
      assert.equal((await store.getActiveSieveScript(user.id))?.name, 'two');
      assert.equal(await store.setActiveSieveScript(user.id, 'missing'), false);
      assert.equal((await store.getActiveSieveScript(user.id))?.name, 'two');
      assert.equal(await store.setActiveSieveScript(user.id, null), true);
      assert.equal(await store.getActiveSieveScript(user.id), null);
    });

    it('leaves exactly one active script after concurrent activations from two connections', async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      const user = await seedUser(store);
      for (const name of ['a', 'b', 'c', 'd']) await store.putSieveScript(user.id, name, 'keep;');
      await Promise.all(['a', 'b', 'c', 'd', 'a', 'c'].map((name, i) => (i % 2 ? peer : store).setActiveSieveScript(user.id, name)));
      assert.equal((await store.listSieveScripts(user.id)).filter((s) => s.active).length, 1);
    });

    it('renames a script, refuses an existing target with StoreConflictError and reports a missing source', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      await store.putSieveScript(user.id, 'old', 'keep;');
      await store.putSieveScript(user.id, 'other', 'discard;');
      await store.setActiveSieveScript(user.id, 'old');
      assert.equal(await store.renameSieveScript(user.id, 'old', 'new'), true);
      assert.equal((await store.getActiveSieveScript(user.id))?.name, 'new');
      await rejectsWithConflict(store.renameSieveScript(user.id, 'new', 'other'));
      assert.equal(await store.renameSieveScript(user.id, 'missing', 'x'), false);
    });

    it('never deletes the active script (RFC 5804 §2.10) and tells a missing one apart', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      await store.putSieveScript(user.id, 'live', 'keep;');
      await store.putSieveScript(user.id, 'spare', 'keep;');
      await store.setActiveSieveScript(user.id, 'live');
      assert.equal(await store.deleteSieveScript(user.id, 'live'), 'active');
      assert.equal(await store.deleteSieveScript(user.id, 'spare'), 'deleted');
      assert.equal(await store.deleteSieveScript(user.id, 'spare'), 'not-found');
      assert.deepEqual((await store.listSieveScripts(user.id)).map((s) => s.name), ['live']);
    });

    it('deletes a user\'s scripts and vacation memory with the user', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      await store.putSieveScript(user.id, 'live', 'keep;');
      await store.setActiveSieveScript(user.id, 'live');
      const now = new Date();
      await store.claimVacationReply(user.id, 'h', 'bob@example.net', now, new Date(now.getTime() + 60_000));
      await store.deleteUser(user.address);
      assert.deepEqual(await store.listSieveScripts(user.id), []);
      const again = await seedUser(store);
      assert.deepEqual(await store.listSieveScripts(again.id), []);
    });
  });

  describe('vacation memory', () => {
    it('answers a sender once per period per handle (RFC 5230 §4.2) and again after the period', async () => {
      const { store } = await fresh();
      const user = await seedUser(store);
      const t0 = new Date('2026-01-01T00:00:00Z');
      const day = 86_400_000;
      const until = new Date(t0.getTime() + 7 * day);
      assert.equal(await store.claimVacationReply(user.id, 'h1', 'bob@example.net', t0, until), true);
      assert.equal(await store.claimVacationReply(user.id, 'h1', 'bob@example.net', new Date(t0.getTime() + day), until), false);
      assert.equal(await store.claimVacationReply(user.id, 'h1', 'carol@example.net', t0, until), true, 'another sender');
      assert.equal(await store.claimVacationReply(user.id, 'h2', 'bob@example.net', t0, until), true, 'another handle');
      const later = new Date(t0.getTime() + 7 * day);
      assert.equal(await store.claimVacationReply(user.id, 'h1', 'bob@example.net', later, new Date(later.getTime() + day)), true);
      assert.equal(await store.claimVacationReply(user.id, 'h1', 'bob@example.net', later, new Date(later.getTime() + day)), false);
    });

    it('grants one of many concurrent claims for the same sender', async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      const user = await seedUser(store);
      const now = new Date();
      const until = new Date(now.getTime() + 86_400_000);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? peer : store).claimVacationReply(user.id, 'h', 'bob@example.net', now, until)),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });
  });
}
