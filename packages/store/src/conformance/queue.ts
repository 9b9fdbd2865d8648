// The outbound queue: enqueue defaults, leases (who may deliver), updates under a lease, hold, flush, delete.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blobHash, newId } from '../ids.js';
import type { QueueId } from '../types.js';
import type { Store } from '../store.js';
import type { FreshStore } from './harness.js';
import { assertDate, bytes, ID_PATTERN, nth, sleep } from './support.js';

const T = Date.parse('2026-01-15T12:00:00.000Z');
const at = (offsetMs: number): Date => new Date(T + offsetMs);

function enqueueAt(store: Store, offsetMs: number, id?: QueueId) {
  return store.enqueue({
    ...(id ? { id } : {}),
    from: 'alice@example.com',
    recipients: [{ address: 'bob@example.org' }],
    parts: [bytes(`message due at ${offsetMs}\r\n`)],
    nextAttemptAt: at(offsetMs),
  });
}

export function registerQueueTests(fresh: FreshStore): void {
  describe('queue', () => {
    it('enqueues an entry with pending recipients, parts as blobs and no lease', async () => {
      const { store } = await fresh();
      const header = bytes('From: alice@example.com\r\n\r\n');
      const body = bytes('body\r\n');
      const before = Date.now();
      const entry = await store.enqueue({
        from: 'alice@example.com',
        recipients: [{ address: 'bob@example.org', notify: ['FAILURE', 'DELAY'], orcpt: 'rfc822;bob@example.org' }, { address: 'carol@example.net' }],
        parts: [header, body],
        meta: { envid: 'QQ314159', ret: 'HDRS' },
      });
      const after = Date.now();
      assert.match(entry.id, ID_PATTERN);
      assert.equal(entry.from, 'alice@example.com');
      assert.deepEqual(
        entry.recipients.map((r) => [r.address, r.status, r.lastResponse]),
        [
          ['bob@example.org', 'pending', null],
          ['carol@example.net', 'pending', null],
        ],
      );
      assert.deepEqual(nth(entry.recipients, 0).notify, ['FAILURE', 'DELAY']);
      assert.equal(nth(entry.recipients, 0).orcpt, 'rfc822;bob@example.org');
      assert.deepEqual(entry.parts, [blobHash(header), blobHash(body)]);
      assert.equal(entry.size, header.length + body.length);
      assert.equal(entry.attempts, 0);
      assert.equal(entry.held, false);
      assert.equal(entry.leaseOwner, null);
      assert.equal(entry.leaseUntil, null);
      assert.deepEqual(entry.meta, { envid: 'QQ314159', ret: 'HDRS' });
      assertDate(entry.createdAt, 'createdAt');
      assertDate(entry.nextAttemptAt, 'nextAttemptAt');
      assert.ok(entry.nextAttemptAt.getTime() >= before - 1000 && entry.nextAttemptAt.getTime() <= after + 1000, 'nextAttemptAt defaults to now');

      const stored = await store.getQueueEntry(entry.id);
      assert.ok(stored);
      assert.deepEqual(stored.recipients.map((r) => r.status), ['pending', 'pending']);
      assertDate(stored.createdAt, 'createdAt');
      assertDate(stored.nextAttemptAt, 'nextAttemptAt');
      assert.equal(stored.leaseUntil, null);
      assert.equal((await store.readMessage(stored)).toString(), 'From: alice@example.com\r\n\r\nbody\r\n');
      for (const hash of stored.parts) assert.equal(await store.blobRefs(hash), 1);
    });

    it('keeps a given id, the null reverse-path and the given first attempt time', async () => {
      const { store } = await fresh();
      const id = newId<QueueId>();
      const entry = await store.enqueue({ id, from: '', recipients: [{ address: 'alice@example.com' }], parts: [bytes('bounce')], nextAttemptAt: at(5000) });
      assert.equal(entry.id, id);
      const stored = await store.getQueueEntry(id);
      assert.equal(stored?.from, '');
      assert.equal(stored?.nextAttemptAt.getTime(), T + 5000);
      assert.equal(stored?.meta ?? null, null);
    });

    it('returns null for an unknown queue entry', async () => {
      const { store } = await fresh();
      assert.equal(await store.getQueueEntry(newId<QueueId>()), null);
    });

    it('lists the queue in creation order', async () => {
      const { store } = await fresh();
      // Ids in reverse order, so that only the creation time can explain the order.
      const ids = ['ffffffff0000000000000003', 'ffffffff0000000000000002', 'ffffffff0000000000000001'] as QueueId[];
      for (const id of ids) {
        await enqueueAt(store, 0, id);
        await sleep(5);
      }
      assert.deepEqual((await store.listQueue()).map((e) => e.id), ids);
    });

    it('lists entries created in the same millisecond by id', async () => {
      const { store } = await fresh();
      const created = await Promise.all(Array.from({ length: 6 }, () => enqueueAt(store, 0)));
      const listed = await store.listQueue();
      assert.equal(listed.length, created.length);
      const key = (e: { createdAt: Date; id: string }) => `${String(e.createdAt.getTime()).padStart(15, '0')} ${e.id}`;
      assert.deepEqual(listed.map(key), listed.map(key).sort());
    });

    it('enqueues an entry on hold that no runner leases until it is released', async () => {
      const { store } = await fresh();
      const held = await store.enqueue({ from: 'a@example.org', recipients: [{ address: 'b@example.net' }], parts: [bytes('held')], nextAttemptAt: at(-1000), held: true });
      assert.equal(held.held, true);
      assert.equal((await store.getQueueEntry(held.id))?.held, true);
      assert.deepEqual(await store.leaseQueueEntries('worker-1', at(0), 30_000, 10), []);
      await store.setQueueHeld(held.id, false);
      assert.deepEqual((await store.leaseQueueEntries('worker-1', at(0), 30_000, 10)).map((e) => e.id), [held.id]);
    });

    it('leases due, unheld entries, oldest first, up to the limit', async () => {
      const { store } = await fresh();
      const a = await enqueueAt(store, -3000);
      const b = await enqueueAt(store, -1000);
      const c = await enqueueAt(store, -2000);
      await enqueueAt(store, 60_000); // not due yet
      const held = await enqueueAt(store, -5000);
      await store.setQueueHeld(held.id, true);
      await enqueueAt(store, 0); // due exactly now

      const leased = await store.leaseQueueEntries('worker-1', at(0), 30_000, 2);
      assert.deepEqual(leased.map((e) => e.id), [a.id, c.id]);
      for (const entry of leased) {
        assert.equal(entry.leaseOwner, 'worker-1');
        assertDate(entry.leaseUntil, 'leaseUntil');
        assert.equal(entry.leaseUntil.getTime(), T + 30_000);
      }
      const stored = await store.getQueueEntry(a.id);
      assert.equal(stored?.leaseOwner, 'worker-1');
      assert.equal(stored?.leaseUntil?.getTime(), T + 30_000);

      const rest = await store.leaseQueueEntries('worker-2', at(0), 30_000, 10);
      assert.equal(rest.length, 2, 'the two remaining due entries: b and the one due now');
      assert.equal(nth(rest, 0).id, b.id);
      assert.deepEqual(await store.leaseQueueEntries('worker-3', at(0), 30_000, 10), []);
    });

    it('does not lease an entry again while its lease is valid, and does once it has expired', async () => {
      const { store } = await fresh();
      const entry = await enqueueAt(store, -1000);
      assert.equal((await store.leaseQueueEntries('worker-1', at(0), 1000, 10)).length, 1);
      assert.deepEqual(await store.leaseQueueEntries('worker-2', at(500), 1000, 10), []);
      assert.deepEqual(await store.leaseQueueEntries('worker-2', at(1000), 1000, 10), [], 'a lease is valid up to and including leaseUntil');
      const taken = await store.leaseQueueEntries('worker-2', at(1001), 1000, 10);
      assert.deepEqual(taken.map((e) => e.id), [entry.id]);
      assert.equal(nth(taken, 0).leaseOwner, 'worker-2');
      assert.equal(nth(taken, 0).leaseUntil?.getTime(), T + 2001);
    });

    it('renews a lease for its holder only; a renewed lease keeps others out', async () => {
      const { store } = await fresh();
      const entry = await enqueueAt(store, -1000);
      await store.leaseQueueEntries('worker-1', at(0), 1000, 1);
      assert.equal(await store.renewQueueLease(entry.id, 'worker-2', at(60_000)), false, 'not the holder');
      assert.equal((await store.getQueueEntry(entry.id))?.leaseUntil?.getTime(), T + 1000);
      assert.equal(await store.renewQueueLease(entry.id, 'worker-1', at(60_000)), true);
      assert.equal((await store.getQueueEntry(entry.id))?.leaseUntil?.getTime(), T + 60_000);
      assert.deepEqual(await store.leaseQueueEntries('worker-2', at(5000), 1000, 10), [], 'the renewed lease is still valid');
      const taken = await store.leaseQueueEntries('worker-2', at(60_001), 1000, 10);
      assert.deepEqual(taken.map((e) => e.id), [entry.id]);
      assert.equal(await store.renewQueueLease(entry.id, 'worker-1', at(120_000)), false, 'a lost lease cannot be renewed');
      assert.equal(await store.renewQueueLease('no-such-entry' as QueueId, 'worker-1', at(120_000)), false);
    });

    it('applies an update from the lease holder and frees the lease', async () => {
      const { store } = await fresh();
      const entry = await enqueueAt(store, -1000);
      await store.leaseQueueEntries('worker-1', at(0), 30_000, 1);
      const updated = await store.updateQueueEntry(
        entry.id,
        {
          recipients: [{ address: 'bob@example.org', status: 'deferred', lastResponse: '451 4.7.1 try later' }],
          nextAttemptAt: at(600_000),
          attempts: 1,
          meta: { delayWarned: false },
        },
        'worker-1',
      );
      assert.ok(updated);
      assert.equal(updated.attempts, 1);
      assert.equal(updated.nextAttemptAt.getTime(), T + 600_000);
      assert.deepEqual(updated.recipients.map((r) => [r.address, r.status, r.lastResponse]), [['bob@example.org', 'deferred', '451 4.7.1 try later']]);
      assert.deepEqual(updated.meta, { delayWarned: false });
      assert.equal(updated.leaseOwner, null);
      assert.equal(updated.leaseUntil, null);
      const stored = await store.getQueueEntry(entry.id);
      assert.equal(stored?.attempts, 1);
      assert.equal(stored?.leaseOwner, null);
      assert.equal(stored?.leaseUntil, null);
      assert.equal(nth(stored?.recipients ?? [], 0).status, 'deferred');
    });

    it('enqueues an entry already leased to its writer, which no other worker takes before the lease ends', async () => {
      const { store } = await fresh();
      const entry = await store.enqueue({ from: 'alice@example.com', recipients: [{ address: 'bob@example.org' }], parts: [bytes('x\r\n')], nextAttemptAt: at(-1000), lease: { owner: 'mta-1', until: at(60_000) } });
      assert.equal(entry.leaseOwner, 'mta-1');
      assert.equal(entry.leaseUntil?.getTime(), T + 60_000);
      assert.equal((await store.leaseQueueEntries('worker-2', at(0), 30_000, 10)).length, 0, 'the lease keeps other workers out');
      assert.equal(await store.renewQueueLease(entry.id, 'mta-1', at(120_000)), true, 'its writer holds the lease');
      assert.deepEqual((await store.leaseQueueEntries('worker-2', at(120_001), 30_000, 10)).map((e) => e.id), [entry.id], 'taken over once it has expired');
    });

    it('records progress under a lease it keeps (keepLease), and refuses it from a worker who lost the lease', async () => {
      const { store } = await fresh();
      const entry = await store.enqueue({
        from: 'alice@example.com',
        recipients: [{ address: 'bob@example.org' }, { address: 'carol@example.net' }],
        parts: [bytes('x\r\n')],
        nextAttemptAt: at(-1000),
      });
      await store.leaseQueueEntries('worker-1', at(0), 30_000, 1);
      const recipients = [
        { address: 'bob@example.org', status: 'delivered' as const, lastResponse: '250 2.0.0 Ok' },
        { address: 'carol@example.net', status: 'pending' as const, lastResponse: null },
      ];
      const progress = await store.updateQueueEntry(entry.id, { recipients, meta: { step: 1 }, keepLease: true }, 'worker-1');
      assert.equal(progress?.leaseOwner, 'worker-1');
      assert.equal(progress?.leaseUntil?.getTime(), T + 30_000);
      assert.deepEqual(progress?.recipients.map((r) => r.status), ['delivered', 'pending']);
      assert.deepEqual(progress?.meta, { step: 1 });
      assert.equal((await store.leaseQueueEntries('worker-2', at(1000), 30_000, 1)).length, 0, 'still leased');
      assert.equal((await store.updateQueueEntry(entry.id, { keepLease: true }, 'worker-1'))?.leaseOwner, 'worker-1', 'an empty patch changes nothing');
      assert.equal(await store.updateQueueEntry(entry.id, { attempts: 9, keepLease: true }, 'worker-2'), null, 'another worker writes nothing');
      const done = await store.updateQueueEntry(entry.id, { attempts: 1 }, 'worker-1');
      assert.equal(done?.leaseOwner, null, 'the final write frees the lease');
      assert.equal(done?.attempts, 1);
    });

    it('refuses an update from a worker whose lease was lost, writing nothing', async () => {
      const { store } = await fresh();
      const entry = await enqueueAt(store, -1000);
      await store.leaseQueueEntries('worker-1', at(0), 1000, 1);
      await store.leaseQueueEntries('worker-2', at(5000), 30_000, 1); // worker-1's lease expired and moved on
      const result = await store.updateQueueEntry(entry.id, { attempts: 7, nextAttemptAt: at(99_000) }, 'worker-1');
      assert.equal(result, null);
      const stored = await store.getQueueEntry(entry.id);
      assert.equal(stored?.attempts, 0);
      assert.equal(stored?.nextAttemptAt.getTime(), T - 1000);
      assert.equal(stored?.leaseOwner, 'worker-2');
      assert.equal(stored?.leaseUntil?.getTime(), T + 35_000);
    });

    it('refuses an update naming an owner when the entry is not leased at all', async () => {
      const { store } = await fresh();
      const entry = await enqueueAt(store, -1000);
      assert.equal(await store.updateQueueEntry(entry.id, { attempts: 3 }, 'worker-1'), null);
      assert.equal((await store.getQueueEntry(entry.id))?.attempts, 0);
    });

    it('applies an update without an owner whoever holds the lease, freeing it', async () => {
      const { store } = await fresh();
      const entry = await enqueueAt(store, -1000);
      await store.leaseQueueEntries('worker-1', at(0), 30_000, 1);
      const updated = await store.updateQueueEntry(entry.id, { attempts: 2 }, null);
      assert.equal(updated?.attempts, 2);
      assert.equal(updated?.leaseOwner, null);
      assert.equal(updated?.leaseUntil, null);
      assert.equal(updated?.from, 'alice@example.com', 'fields outside the patch stay');
      assert.equal((await store.leaseQueueEntries('worker-2', at(1), 30_000, 1)).length, 1, 'the entry can be leased again');
    });

    it('returns null when updating an unknown entry', async () => {
      const { store } = await fresh();
      assert.equal(await store.updateQueueEntry(newId<QueueId>(), { attempts: 1 }, null), null);
    });

    it('holds an entry out of delivery and releases it back', async () => {
      const { store } = await fresh();
      const entry = await enqueueAt(store, -1000);
      assert.equal((await store.setQueueHeld(entry.id, true))?.held, true);
      assert.deepEqual(await store.leaseQueueEntries('worker-1', at(0), 30_000, 10), []);
      assert.equal((await store.setQueueHeld(entry.id, false))?.held, false);
      assert.equal((await store.getQueueEntry(entry.id))?.held, false);
      assert.deepEqual((await store.leaseQueueEntries('worker-1', at(0), 30_000, 10)).map((e) => e.id), [entry.id]);
      assert.equal(await store.setQueueHeld(newId<QueueId>(), true), null);
    });

    it('flushes every entry that is not held to be due now and counts them', async () => {
      const { store } = await fresh();
      const later = await enqueueAt(store, 3_600_000);
      const muchLater = await enqueueAt(store, 7_200_000);
      const held = await enqueueAt(store, 10_800_000);
      await store.setQueueHeld(held.id, true);
      assert.equal(await store.flushQueue(at(0)), 2);
      assert.equal((await store.getQueueEntry(later.id))?.nextAttemptAt.getTime(), T);
      assert.equal((await store.getQueueEntry(muchLater.id))?.nextAttemptAt.getTime(), T);
      assert.equal((await store.getQueueEntry(held.id))?.nextAttemptAt.getTime(), T + 10_800_000, 'a held entry stays as it was');
      assert.equal((await store.leaseQueueEntries('worker-1', at(0), 30_000, 10)).length, 2);
    });

    it('deletes an entry and releases its blobs', async () => {
      const { store } = await fresh();
      const entry = await enqueueAt(store, 0);
      const hash = nth(entry.parts, 0);
      assert.equal(await store.deleteQueueEntry(entry.id), true);
      assert.equal(await store.getQueueEntry(entry.id), null);
      assert.equal(await store.blobRefs(hash), 0);
      assert.equal(await store.getBlob(hash), null);
      assert.equal(await store.deleteQueueEntry(entry.id), false);
      assert.deepEqual(await store.listQueue(), []);
    });
  });
}
