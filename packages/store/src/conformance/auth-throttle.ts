// Login throttling in the store: failures per key in a window, bans, and concurrent writers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FreshStore } from './harness.js';

const MINUTE = 60_000;

export function registerAuthThrottleTests(fresh: FreshStore): void {
  describe('login throttling', () => {
    it('counts failures per key within the window, and starts a new window after it', async () => {
      const { store } = await fresh();
      const start = new Date('2026-01-01T00:00:00Z');
      const at = (ms: number): Date => new Date(start.getTime() + ms);
      assert.deepEqual(await store.getAuthThrottle('ip:192.0.2.1', start, MINUTE), { failures: 0, bannedUntil: null });
      assert.equal((await store.recordAuthFailure('ip:192.0.2.1', start, MINUTE)).failures, 1);
      assert.equal((await store.recordAuthFailure('ip:192.0.2.1', at(10_000), MINUTE)).failures, 2);
      assert.equal((await store.recordAuthFailure('account:alice@example.com', at(10_000), MINUTE)).failures, 1);
      assert.equal((await store.getAuthThrottle('ip:192.0.2.1', at(59_000), MINUTE)).failures, 2);
      // The window opened at the first failure: a minute later it has passed.
      assert.equal((await store.getAuthThrottle('ip:192.0.2.1', at(MINUTE), MINUTE)).failures, 0);
      assert.equal((await store.recordAuthFailure('ip:192.0.2.1', at(MINUTE + 1), MINUTE)).failures, 1);
      await store.clearAuthFailures('ip:192.0.2.1');
      assert.equal((await store.getAuthThrottle('ip:192.0.2.1', at(MINUTE + 2), MINUTE)).failures, 0);
    });

    it('bans a key until a time, resets its failures, and a ban survives clearing failures', async () => {
      const { store } = await fresh();
      const now = new Date('2026-01-01T00:00:00Z');
      await store.recordAuthFailure('ip:198.51.100.7', now, MINUTE);
      const until = new Date(now.getTime() + 10 * MINUTE);
      await store.banAuth('ip:198.51.100.7', until);
      const banned = await store.getAuthThrottle('ip:198.51.100.7', now, MINUTE);
      assert.equal(banned.failures, 0);
      assert.equal(banned.bannedUntil?.getTime(), until.getTime());
      await store.clearAuthFailures('ip:198.51.100.7');
      assert.equal((await store.getAuthThrottle('ip:198.51.100.7', now, MINUTE)).bannedUntil?.getTime(), until.getTime());
      // A shorter ban does not cut a longer one short.
      await store.banAuth('ip:198.51.100.7', new Date(now.getTime() + MINUTE));
      assert.equal((await store.getAuthThrottle('ip:198.51.100.7', now, MINUTE)).bannedUntil?.getTime(), until.getTime());
      assert.equal((await store.getAuthThrottle('ip:198.51.100.7', until, MINUTE)).bannedUntil, null);
      await store.liftAuthBan('ip:198.51.100.7');
      assert.deepEqual(await store.getAuthThrottle('ip:198.51.100.7', now, MINUTE), { failures: 0, bannedUntil: null });
    });

    it('lists the bans in force, the soonest ending first; an expired or lifted ban is not listed', async () => {
      const { store } = await fresh();
      const now = new Date('2026-01-01T00:00:00Z');
      await store.banAuth('ip:192.0.2.9', new Date(now.getTime() + 10 * MINUTE));
      await store.banAuth('ip:2001:db8::1', new Date(now.getTime() + 2 * MINUTE));
      await store.banAuth('ip:192.0.2.10', new Date(now.getTime() - MINUTE));
      await store.recordAuthFailure('ip:192.0.2.11', now, MINUTE);
      const listed = await store.listAuthBans(now);
      assert.deepEqual(
        listed.map((ban) => [ban.key, ban.bannedUntil.getTime() - now.getTime()]),
        [
          ['ip:2001:db8::1', 2 * MINUTE],
          ['ip:192.0.2.9', 10 * MINUTE],
        ],
      );
      await store.liftAuthBan('ip:2001:db8::1');
      assert.deepEqual((await store.listAuthBans(now)).map((ban) => ban.key), ['ip:192.0.2.9']);
      assert.deepEqual(await store.listAuthBans(new Date(now.getTime() + 10 * MINUTE)), []);
    });

    it('counts every one of concurrent failures once, across store handles', async () => {
      const { store, openPeer } = await fresh();
      const other = await openPeer();
      const now = new Date();
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? store : other).recordAuthFailure('account:bob@example.com', now, MINUTE)));
      assert.equal((await store.getAuthThrottle('account:bob@example.com', now, MINUTE)).failures, 40);
    });

    it('forgets keys whose window and ban have passed', async () => {
      const { store } = await fresh();
      const then = new Date('2026-01-01T00:00:00Z');
      await store.recordAuthFailure('account:made-up-1@example.com', then, MINUTE);
      await store.banAuth('ip:203.0.113.9', new Date(then.getTime() + 60 * MINUTE));
      const later = new Date(then.getTime() + 2 * MINUTE);
      await store.recordAuthFailure('account:made-up-2@example.com', later, MINUTE);
      assert.equal((await store.getAuthThrottle('account:made-up-1@example.com', later, 60 * MINUTE)).failures, 0, 'an expired key is removed');
      assert.ok((await store.getAuthThrottle('ip:203.0.113.9', later, MINUTE)).bannedUntil, 'a live ban is kept');
    });
  });
}
