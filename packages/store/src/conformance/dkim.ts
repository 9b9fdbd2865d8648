// DKIM keys per (domain, selector): defaults, uniqueness, rotation fields, order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NewDkimKey } from '../types.js';
import type { FreshStore } from './harness.js';
import { assertDate, rejectsWithConflict, sleep } from './support.js';

function key(domain: string, selector: string, algorithm: NewDkimKey['algorithm'] = 'ed25519'): NewDkimKey {
  return {
    domain,
    selector,
    algorithm,
    privateKey: `-----BEGIN PRIVATE KEY-----\n${selector}-private\n-----END PRIVATE KEY-----\n`,
    publicKey: `MCowBQYDK2VwAyEA${selector}`,
  };
}

export function registerDkimTests(fresh: FreshStore): void {
  describe('dkim keys', () => {
    it('adds a key active, without retirement date, under the lower-case domain', async () => {
      const { store } = await fresh();
      const added = await store.addDkimKey(key('Example.COM', 's2026', 'rsa'));
      assert.equal(added.domain, 'example.com');
      assert.equal(added.selector, 's2026');
      assert.equal(added.algorithm, 'rsa');
      assert.equal(added.privateKey, key('x', 's2026').privateKey);
      assert.equal(added.publicKey, 'MCowBQYDK2VwAyEAs2026');
      assert.equal(added.active, true);
      assert.equal(added.retireAt, null);
      assertDate(added.createdAt, 'createdAt');
      const [listed] = await store.listDkimKeys('example.com');
      assert.ok(listed);
      assert.equal(listed.privateKey, added.privateKey);
      assert.equal(listed.active, true);
      assertDate(listed.createdAt, 'createdAt');
    });

    it('keeps a key added as inactive inactive', async () => {
      const { store } = await fresh();
      const added = await store.addDkimKey({ ...key('example.com', 'next'), active: false });
      assert.equal(added.active, false);
      assert.equal((await store.listDkimKeys('example.com'))[0]?.active, false);
    });

    it('refuses a duplicate selector for the same domain, given in other case, with StoreConflictError', async () => {
      const { store } = await fresh();
      await store.addDkimKey(key('example.com', 's1'));
      await rejectsWithConflict(store.addDkimKey(key('EXAMPLE.com', 's1', 'rsa')));
      assert.equal((await store.listDkimKeys('example.com')).length, 1);
    });

    it('allows the same selector in another domain', async () => {
      const { store } = await fresh();
      await store.addDkimKey(key('example.com', 's1'));
      await store.addDkimKey(key('example.org', 's1'));
      assert.equal((await store.listDkimKeys('example.org')).length, 1);
    });

    it("lists one domain's keys in creation order, finding the domain in any case", async () => {
      const { store } = await fresh();
      for (const selector of ['zeta', 'alpha', 'mid']) {
        await store.addDkimKey(key('example.com', selector));
        await sleep(5);
      }
      await store.addDkimKey(key('example.org', 'other'));
      assert.deepEqual((await store.listDkimKeys('EXAMPLE.COM')).map((k) => k.selector), ['zeta', 'alpha', 'mid']);
      assert.deepEqual(await store.listDkimKeys('example.net'), []);
    });

    it('updates the active flag and the retirement date, returning null for an unknown key', async () => {
      const { store } = await fresh();
      await store.addDkimKey(key('example.com', 'old'));
      const retireAt = new Date('2026-06-01T00:00:00.000Z');
      const retired = await store.updateDkimKey('Example.com', 'old', { active: false, retireAt });
      assert.equal(retired?.active, false);
      assert.equal(retired?.retireAt?.getTime(), retireAt.getTime());
      const [stored] = await store.listDkimKeys('example.com');
      assert.equal(stored?.active, false);
      assertDate(stored?.retireAt, 'retireAt');
      assert.equal(stored.retireAt.getTime(), retireAt.getTime());
      const revived = await store.updateDkimKey('example.com', 'old', { retireAt: null });
      assert.equal(revived?.retireAt, null);
      assert.equal(revived?.active, false, 'a field outside the patch stays');
      assert.equal(await store.updateDkimKey('example.com', 'missing', { active: true }), null);
    });

    it('keeps a pending key (not active, with its activation time) and activates it by a patch', async () => {
      const { store } = await fresh();
      assert.equal((await store.addDkimKey(key('example.com', 'signing'))).activateAt, null, 'a key is not pending by default');
      const activateAt = new Date('2026-06-03T00:00:00.000Z');
      const pending = await store.addDkimKey({ ...key('example.com', 'next'), active: false, activateAt });
      assert.equal(pending.active, false);
      assert.equal(pending.activateAt?.getTime(), activateAt.getTime());
      const listed = (await store.listDkimKeys('example.com')).find((k) => k.selector === 'next');
      assertDate(listed?.activateAt, 'activateAt');
      assert.equal(listed.activateAt.getTime(), activateAt.getTime());
      const activated = await store.updateDkimKey('example.com', 'next', { active: true, activateAt: null });
      assert.equal(activated?.active, true);
      assert.equal(activated?.activateAt, null);
    });

    it('deletes a key and returns false the second time', async () => {
      const { store } = await fresh();
      await store.addDkimKey(key('example.com', 'old'));
      await store.addDkimKey(key('example.com', 'new'));
      assert.equal(await store.deleteDkimKey('EXAMPLE.com', 'old'), true);
      assert.equal(await store.deleteDkimKey('example.com', 'old'), false);
      assert.deepEqual((await store.listDkimKeys('example.com')).map((k) => k.selector), ['new']);
    });
  });
}
