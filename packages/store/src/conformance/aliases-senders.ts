// virtual_alias_maps and smtpd_sender_login_maps: normalised keys, de-duplicated targets, sort order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FreshStore } from './harness.js';
import { assertDate, rejectsWithStoreError, sorted } from './support.js';

export function registerAliasAndSenderTests(fresh: FreshStore): void {
  describe('aliases', () => {
    it('creates an alias with its address and targets lower-case and each target once', async () => {
      const { store } = await fresh();
      const alias = await store.addAliasTargets('Sales@Example.COM', ['Bob@Example.com', 'bob@example.com', 'carol@example.org']);
      assert.equal(alias.address, 'sales@example.com');
      assert.equal(alias.domain, 'example.com');
      assert.deepEqual(sorted(alias.targets), ['bob@example.com', 'carol@example.org']);
      assertDate(alias.createdAt, 'createdAt');
    });

    it('adds targets to an existing alias keeping those already present once', async () => {
      const { store } = await fresh();
      const first = await store.addAliasTargets('sales@example.com', ['bob@example.com']);
      const second = await store.addAliasTargets('SALES@example.com', ['BOB@example.com', 'dave@example.com']);
      assert.deepEqual(sorted(second.targets), ['bob@example.com', 'dave@example.com']);
      assert.equal(second.createdAt.getTime(), first.createdAt.getTime(), 'the alias keeps its creation date');
      assert.deepEqual(sorted((await store.getAlias('sales@example.com'))?.targets ?? []), ['bob@example.com', 'dave@example.com']);
      assert.equal((await store.listAliases()).length, 1);
    });

    it("refuses an empty target list with StoreError code 'invalid'", async () => {
      const { store } = await fresh();
      await rejectsWithStoreError(store.addAliasTargets('sales@example.com', []), 'invalid');
      assert.equal(await store.getAlias('sales@example.com'), null);
    });

    it('stores a catch-all as @domain and finds it in any case', async () => {
      const { store } = await fresh();
      const alias = await store.addAliasTargets('@Example.COM', ['postmaster@example.com']);
      assert.equal(alias.address, '@example.com');
      assert.equal(alias.domain, 'example.com');
      assert.deepEqual((await store.getAlias('@EXAMPLE.com'))?.targets, ['postmaster@example.com']);
    });

    it('finds an alias given in any case and returns null for an unknown one', async () => {
      const { store } = await fresh();
      await store.addAliasTargets('info@example.com', ['alice@example.com']);
      const alias = await store.getAlias('INFO@Example.com');
      assert.equal(alias?.address, 'info@example.com');
      assertDate(alias?.createdAt, 'createdAt');
      assert.equal(await store.getAlias('nobody@example.com'), null);
    });

    it('lists aliases sorted by address and filters them by domain in any case', async () => {
      const { store } = await fresh();
      await store.addAliasTargets('webmaster@example.com', ['a@example.com']);
      await store.addAliasTargets('abuse@example.org', ['a@example.com']);
      await store.addAliasTargets('@example.com', ['a@example.com']);
      await store.addAliasTargets('info@example.com', ['a@example.com']);
      assert.deepEqual(
        (await store.listAliases()).map((a) => a.address),
        ['@example.com', 'abuse@example.org', 'info@example.com', 'webmaster@example.com'],
      );
      assert.deepEqual((await store.listAliases({ domain: 'EXAMPLE.com' })).map((a) => a.address), ['@example.com', 'info@example.com', 'webmaster@example.com']);
      assert.deepEqual(await store.listAliases({ domain: 'example.net' }), []);
    });

    it('finds the aliases that have a target, given in any case, sorted by address', async () => {
      const { store } = await fresh();
      await store.addAliasTargets('sales@example.com', ['bob@example.com', 'carol@example.com']);
      await store.addAliasTargets('info@example.com', ['bob@example.com']);
      await store.addAliasTargets('press@example.com', ['carol@example.com']);
      assert.deepEqual((await store.findAliasesByTarget('BOB@example.com')).map((a) => a.address), ['info@example.com', 'sales@example.com']);
      assert.deepEqual(await store.findAliasesByTarget('nobody@example.com'), []);
    });

    it('removes a whole alias when no target is given', async () => {
      const { store } = await fresh();
      await store.addAliasTargets('sales@example.com', ['bob@example.com', 'carol@example.com']);
      assert.equal(await store.removeAlias('Sales@example.com'), true);
      assert.equal(await store.getAlias('sales@example.com'), null);
      assert.equal(await store.removeAlias('sales@example.com'), false);
    });

    it('removes one target, and the alias with its last target', async () => {
      const { store } = await fresh();
      await store.addAliasTargets('sales@example.com', ['bob@example.com', 'carol@example.com']);
      assert.equal(await store.removeAlias('sales@example.com', 'BOB@example.com'), true);
      assert.deepEqual((await store.getAlias('sales@example.com'))?.targets, ['carol@example.com']);
      assert.deepEqual(await store.findAliasesByTarget('bob@example.com'), []);
      assert.equal(await store.removeAlias('sales@example.com', 'carol@example.com'), true);
      assert.equal(await store.getAlias('sales@example.com'), null);
      assert.deepEqual(await store.listAliases(), []);
    });

    it('returns false when removing a target the alias does not have, keeping the alias', async () => {
      const { store } = await fresh();
      await store.addAliasTargets('sales@example.com', ['bob@example.com']);
      assert.equal(await store.removeAlias('sales@example.com', 'carol@example.com'), false);
      assert.deepEqual((await store.getAlias('sales@example.com'))?.targets, ['bob@example.com']);
      assert.equal(await store.removeAlias('nobody@example.com', 'bob@example.com'), false);
    });
  });

  describe('sender logins', () => {
    it('stores a sender login with address and login lower-case', async () => {
      const { store } = await fresh();
      const entry = await store.addSenderLogin('Boss@Example.COM', 'Assistant@Example.com');
      assert.equal(entry.address, 'boss@example.com');
      assert.equal(entry.login, 'assistant@example.com');
      assertDate(entry.createdAt, 'createdAt');
    });

    it('returns the existing record when the same pair is added again in other case', async () => {
      const { store } = await fresh();
      const first = await store.addSenderLogin('boss@example.com', 'assistant@example.com');
      const again = await store.addSenderLogin('BOSS@example.com', 'Assistant@EXAMPLE.com');
      assert.equal(again.address, 'boss@example.com');
      assert.equal(again.login, 'assistant@example.com');
      assert.equal(again.createdAt.getTime(), first.createdAt.getTime());
      assert.equal((await store.listSenderLogins()).length, 1);
    });

    it('lists sender logins sorted by address then login, filtered by address or login in any case', async () => {
      const { store } = await fresh();
      await store.addSenderLogin('sales@example.com', 'carol@example.com');
      await store.addSenderLogin('boss@example.com', 'zed@example.com');
      await store.addSenderLogin('sales@example.com', 'bob@example.com');
      await store.addSenderLogin('boss@example.com', 'assistant@example.com');
      const pairs = (list: { address: string; login: string }[]) => list.map((e) => `${e.address} ${e.login}`);
      assert.deepEqual(pairs(await store.listSenderLogins()), [
        'boss@example.com assistant@example.com',
        'boss@example.com zed@example.com',
        'sales@example.com bob@example.com',
        'sales@example.com carol@example.com',
      ]);
      assert.deepEqual(pairs(await store.listSenderLogins({ address: 'SALES@example.com' })), ['sales@example.com bob@example.com', 'sales@example.com carol@example.com']);
      assert.deepEqual(pairs(await store.listSenderLogins({ login: 'Zed@example.com' })), ['boss@example.com zed@example.com']);
      assert.deepEqual(pairs(await store.listSenderLogins({ address: 'boss@example.com', login: 'assistant@example.com' })), ['boss@example.com assistant@example.com']);
      assert.deepEqual(await store.listSenderLogins({ address: 'nobody@example.com' }), []);
    });

    it('removes a sender login given in any case and returns false the second time', async () => {
      const { store } = await fresh();
      await store.addSenderLogin('boss@example.com', 'assistant@example.com');
      await store.addSenderLogin('boss@example.com', 'zed@example.com');
      assert.equal(await store.removeSenderLogin('Boss@example.com', 'ASSISTANT@example.com'), true);
      assert.equal(await store.removeSenderLogin('boss@example.com', 'assistant@example.com'), false);
      assert.deepEqual((await store.listSenderLogins()).map((e) => e.login), ['zed@example.com']);
    });
  });
}
