// What must hold under concurrency across two connections to the same data:
// atomic UID/MODSEQ allocation, exclusive queue leases, exact blob counts, unique keys.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../store.js';
import { StoreConflictError } from '../errors.js';
import { blobHash } from '../ids.js';
import type { NewDkimKey, QueueId, UserId } from '../types.js';
import type { FreshStore } from './harness.js';
import { bytes, journalLines, seedMailbox, seedUser, storageUsed } from './support.js';

const SLOW = { timeout: 180_000 };

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Alternates calls between two connections, so that they race each other. */
function alternate<T>(stores: readonly [Store, Store], count: number, call: (store: Store, i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(range(0, count - 1).map((i) => call(stores[i % 2] as Store, i)));
}

/** Runs all calls in parallel and splits them into successes and failures. */
async function settle<T>(calls: Promise<T>[]): Promise<{ ok: T[]; failed: unknown[] }> {
  const results = await Promise.allSettled(calls);
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    failed: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
  };
}

export function registerConcurrencyTests(fresh: FreshStore): void {
  describe('concurrency across two connections', () => {
    it('gives 500 parallel appends to one mailbox the consecutive uids 1..500, modseqs 2..501 and 500 journal entries in order', SLOW, async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      const { mailbox } = await seedMailbox(store);
      const signature = bytes('-- \r\nthe same signature in every message\r\n');
      const results = await alternate([store, peer], 500, (s, i) =>
        s.appendMessage(mailbox.id, { parts: [bytes(`Subject: message ${i}\r\n\r\n`), signature] }),
      );

      assert.deepEqual(results.map((r) => r.message.uid).sort((a, b) => a - b), range(1, 500), 'uids are distinct and consecutive');
      assert.deepEqual(results.map((r) => r.message.modseq).sort((a, b) => a - b), range(2, 501), 'modseqs are distinct and consecutive');
      for (const { message } of results) assert.equal(message.modseq, message.uid + 1, 'uid and modseq are allocated together');

      const after = await peer.getMailboxById(mailbox.id);
      assert.equal(after?.uidNext, 501);
      assert.equal(after?.highestModseq, 501);
      assert.equal(await store.countMessages(mailbox.id), 500);

      const byUid = new Map(results.map((r, i) => [r.message.uid, { id: r.message.id, i }]));
      const listed = await store.listMessages(mailbox.id);
      assert.deepEqual(listed.map((m) => m.uid), range(1, 500));
      for (const message of listed) assert.equal(message.id, byUid.get(message.uid)?.id, `uid ${message.uid} is the message that was told it`);
      const sample = listed[250];
      assert.ok(sample);
      assert.equal((await store.readMessage(sample)).toString(), `Subject: message ${byUid.get(sample.uid)?.i}\r\n\r\n${signature.toString()}`);

      const journal = await journalLines(store, mailbox.id);
      assert.equal(journal.length, 500);
      assert.deepEqual(journal.map((e) => e.modseq), range(2, 501), 'journal in strictly ascending modseq order');
      for (const entry of journal) {
        assert.equal(entry.kind, 'append');
        assert.equal(entry.uid + 1, entry.modseq);
        assert.equal(entry.messageId, byUid.get(entry.uid)?.id);
      }

      assert.equal(await store.blobRefs(blobHash(signature)), 500, 'one reference to the shared part per message');
      assert.equal(await storageUsed(store), results.reduce((sum, r) => sum + r.message.size, 0), 'storageUsed counts every append once');
    });

    it('keeps modseqs unique and the journal exact when appends and flag changes race', SLOW, async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      const { mailbox } = await seedMailbox(store);
      for (let i = 1; i <= 50; i++) await store.appendMessage(mailbox.id, { parts: [bytes(`seed ${i}`)] });

      const appends = alternate([store, peer], 100, (s, i) => s.appendMessage(mailbox.id, { parts: [bytes(`raced ${i}`)] }));
      const flags = alternate([peer, store], 50, (s, i) => s.updateFlags(mailbox.id, [i + 1], { op: 'add', flags: ['\\Seen'] }));
      const [appended, changed] = await Promise.all([appends, flags]);

      assert.deepEqual(appended.map((r) => r.message.uid).sort((a, b) => a - b), range(51, 150));
      const flagModseqs = changed.map((r) => {
        assert.equal(r.updated.length, 1, 'each flag change hit its message');
        return r.updated[0]?.modseq ?? 0;
      });
      const all = [...appended.map((r) => r.message.modseq), ...flagModseqs].sort((a, b) => a - b);
      // the seeds took 2..51 (the mailbox started at 1)
      assert.deepEqual(all, range(52, 201), 'every change got its own modseq');
      assert.equal((await store.getMailboxById(mailbox.id))?.highestModseq, 201);
      const journal = await journalLines(peer, mailbox.id, 51);
      assert.deepEqual(journal.map((e) => e.modseq), range(52, 201));
      assert.equal(journal.filter((e) => e.kind === 'flags').length, 50);
      assert.equal(journal.filter((e) => e.kind === 'append').length, 100);
      assert.equal(await store.countMessages(mailbox.id, { unseen: true }), 100);
    });

    it('expunges each message once when two connections expunge the same uids', SLOW, async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      const { mailbox } = await seedMailbox(store);
      const shared = bytes('part every message has');
      for (let i = 1; i <= 20; i++) await store.appendMessage(mailbox.id, { parts: [shared] });
      const uids = range(1, 20);
      const [mine, theirs] = await Promise.all([store.expungeMessages(mailbox.id, uids), peer.expungeMessages(mailbox.id, [...uids].reverse())]);
      assert.deepEqual([...mine, ...theirs].sort((a, b) => a - b), uids, 'each uid is expunged by exactly one connection');
      // the appends took 2..21 (the mailbox started at 1)
      const journal = await journalLines(store, mailbox.id, 21);
      assert.equal(journal.length, 20);
      assert.ok(journal.every((e) => e.kind === 'expunge'));
      assert.deepEqual(journal.map((e) => e.modseq), range(22, 41));
      assert.equal(await storageUsed(store), 0, 'storage released once per message');
      assert.equal(await store.blobRefs(blobHash(shared)), 0, 'every reference was released exactly once');
      assert.equal(await store.getBlob(blobHash(shared)), null);
    });

    it('never leases one queue entry to two connections at once', SLOW, async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      const base = Date.parse('2026-01-15T12:00:00.000Z');
      for (let i = 0; i < 20; i++) {
        await store.enqueue({ from: 'alice@example.com', recipients: [{ address: `r${i}@example.org` }], parts: [bytes(`queued ${i}`)], nextAttemptAt: new Date(base - 1000) });
      }
      for (let round = 0; round < 5; round++) {
        // Each round starts after the previous round's leases have expired.
        const now = new Date(base + round * 120_000);
        const workers = [store, peer, store, peer].map((s, k) => ({ s, owner: `worker-${round}-${k}` }));
        const results = await Promise.all(workers.map(({ s, owner }) => s.leaseQueueEntries(owner, now, 60_000, 20)));
        const holder = new Map<QueueId, string>();
        results.forEach((leased, k) => {
          const owner = workers[k]?.owner ?? '';
          for (const entry of leased) {
            assert.equal(holder.get(entry.id), undefined, `round ${round}: entry ${entry.id} leased by both ${holder.get(entry.id)} and ${owner}`);
            assert.equal(entry.leaseOwner, owner);
            holder.set(entry.id, owner);
          }
        });
        const late = await peer.leaseQueueEntries(`late-${round}`, now, 60_000, 20);
        for (const entry of late) assert.equal(holder.get(entry.id), undefined, `round ${round}: ${entry.id} leased twice`);
        assert.equal(holder.size + late.length, 20, `round ${round}: every due entry is leased exactly once`);
        for (const [id, owner] of holder) assert.equal((await store.getQueueEntry(id))?.leaseOwner, owner);
      }
    });

    it('keeps one blob with the right count when identical bytes are put and released in parallel', SLOW, async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      const data = bytes('the same attachment, put a hundred times at once');
      const hashes = await alternate([store, peer], 100, (s) => s.putBlob(data));
      assert.equal(new Set(hashes).size, 1);
      const hash = hashes[0];
      assert.ok(hash);
      assert.equal(await store.blobRefs(hash), 100);
      assert.ok((await peer.getBlob(hash))?.equals(data));
      await alternate([store, peer], 100, (s) => s.releaseBlob(hash));
      assert.equal(await store.blobRefs(hash), 0);
      assert.equal(await peer.getBlob(hash), null);
    });

    it('gives each \\Recent UID to exactly one of 40 parallel claimers on two connections (RFC 3501 §2.3.2)', SLOW, async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      const { mailbox } = await seedMailbox(store);
      // Claimer i claims up to UID i + 1; each gets the UIDs between the mark it found and its own bound.
      const marks = await alternate([store, peer], 40, (s, i) => s.claimRecent(mailbox.id, i + 1).then((before) => ({ before, upTo: i + 1 })));
      const owners = new Map<number, number>();
      marks.forEach(({ before, upTo }, claimer) => {
        for (let uid = before + 1; uid <= upTo; uid++) {
          assert.ok(!owners.has(uid), `UID ${uid} claimed twice`);
          owners.set(uid, claimer);
        }
      });
      assert.deepEqual([...owners.keys()].sort((a, b) => a - b), range(1, 40), 'every UID claimed once');
      assert.equal((await peer.getMailboxById(mailbox.id))?.recentUid, 40);
    });

    it('never loses a referenced blob while others put and release the same bytes', SLOW, async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      const data = bytes('bytes whose count goes up and down to zero repeatedly');
      const missing: number[] = [];
      await alternate([store, peer], 100, async (s, i) => {
        const hash = await s.putBlob(data);
        // This worker holds a reference here, so the blob must be readable.
        const read = await s.getBlob(hash);
        if (!read || !read.equals(data)) missing.push(i);
        await s.releaseBlob(hash);
      });
      assert.deepEqual(missing, [], 'a worker holding a reference could not read the blob');
      const hash = await store.putBlob(data);
      assert.equal(await store.blobRefs(hash), 1);
      assert.ok((await peer.getBlob(hash))?.equals(data));
    });

    // Each case: an optional owner to create under, then one create call that 20 racers repeat.
    const uniques: { what: string; owner?: (s: Store) => Promise<UserId>; create: (s: Store, i: number, owner: UserId) => Promise<unknown> }[] = [
      { what: 'addDomain of one name', create: (s, i) => s.addDomain(i % 2 ? 'EXAMPLE.com' : 'example.com') },
      { what: 'addUser of one address', create: (s, i) => s.addUser({ address: i % 2 ? 'Alice@Example.com' : 'alice@example.com', passwordHash: `h${i}` }) },
      { what: 'createMailbox of one path', owner: async (s) => (await seedUser(s)).id, create: (s, _i, owner) => s.createMailbox(owner, 'Archive') },
      { what: 'addDkimKey of one selector', create: (s, i) => s.addDkimKey(dkimKey(i % 2 ? 'Example.COM' : 'example.com')) },
    ];
    for (const { what, owner, create } of uniques) {
      it(`lets exactly one of 20 parallel ${what} succeed and refuses the rest with StoreConflictError`, SLOW, async () => {
        const { store, openPeer } = await fresh();
        const peer = await openPeer();
        const userId = owner ? await owner(store) : ('' as UserId);
        const { ok, failed } = await settle(range(0, 19).map((i) => create(i % 2 ? peer : store, i, userId)));
        assert.equal(ok.length, 1, `${ok.length} calls succeeded`);
        for (const err of failed) {
          assert.ok(err instanceof StoreConflictError, `expected StoreConflictError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        }
      });
    }
  });
}

function dkimKey(domain: string): NewDkimKey {
  return { domain, selector: 'race', algorithm: 'ed25519', privateKey: 'private', publicKey: 'public' };
}
