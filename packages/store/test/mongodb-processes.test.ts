// Several OS processes sharing one MongoDB database, as the MTA, the mailstore and
// the CLI do: UID/MODSEQ allocation, blob reference counts and queue leases must
// hold across them (each process batches its own appends; the processes race).
// MONGO_URL when set, else the pinned test server. This file is also the child
// program: forked with POSTERN_MONGODB_CHILD set, it runs one worker instead of the tests.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { blobHash } from '../src/ids.js';
import { MongoStore } from '../src/mongodb/index.js';
import { databaseUrl, startTestMongo } from '../src/testing/mongo-server.js';
import type { TestMongo } from '../src/testing/mongo-server.js';
import type { MailboxId, QueueId } from '../src/types.js';
import { childJob, forkTogether, runChild } from './fork-together.js';

/** What the parent tells a child to do. */
type Job =
  | { kind: 'append'; url: string; mailboxId: MailboxId; loops: number; perLoop: number; body: string }
  | { kind: 'lease'; url: string; owner: string; limit: number };

/** What a child reports back: the UIDs each of its loops got, or the queue ids it leased. */
type Outcome = { loops: number[][] } | { leased: QueueId[] };

async function runJob(job: Job, started: Promise<void>): Promise<Outcome> {
  const store = await MongoStore.open(job.url);
  try {
    process.send?.('ready');
    await started;
    if (job.kind === 'append') {
      const body = Buffer.from(job.body);
      // Several appends in flight per process, so that its batches and the other processes' race.
      const loops = await Promise.all(
        Array.from({ length: job.loops }, async (_, loop) => {
          const uids: number[] = [];
          for (let i = 0; i < job.perLoop; i++) {
            const header = Buffer.from(`Subject: ${process.pid} loop ${loop} #${i}\r\n\r\n`);
            const { message } = await store.appendMessage(job.mailboxId, { parts: [header, body] });
            uids.push(message.uid);
          }
          return uids;
        }),
      );
      return { loops };
    }
    const leased: QueueId[] = [];
    for (;;) {
      const batch = await store.leaseQueueEntries(job.owner, new Date(), 10 * 60_000, job.limit);
      if (batch.length === 0) return { leased };
      leased.push(...batch.map((entry) => entry.id));
    }
  } finally {
    await store.close();
  }
}

const job = childJob<Job>('POSTERN_MONGODB_CHILD');
if (job) {
  await runChild(job, runJob);
} else {
  const self = fileURLToPath(import.meta.url);
  const runTogether = (jobs: Job[]) => forkTogether<Job, Outcome>(self, 'POSTERN_MONGODB_CHILD', jobs);

  describe('mongodb store shared by several processes', () => {
    let mongo: TestMongo;
    // A run prefix keeps runs against one MONGO_URL server apart.
    const run = randomBytes(4).toString('hex');
    before(async () => {
      mongo = await startTestMongo();
    });
    after(async () => {
      await mongo?.stop();
    });

    test('3 processes × 200 appends (4 in flight each) to one mailbox get UIDs 1..600, MODSEQs 2..601 (the mailbox started at 1) and 600 refs to the shared body', { timeout: 300_000 }, async (t) => {
      const url = databaseUrl(mongo.url, `postern_processes_${run}_appends`);
      const store = await MongoStore.open(url);
      try {
        const user = await store.addUser({ address: 'alice@example.com', passwordHash: '{PLAIN}x' });
        const inbox = await store.createMailbox(user.id, 'INBOX');
        const body = 'the same 5 KB body in every message\r\n'.repeat(140);
        const jobs: Job[] = Array.from({ length: 3 }, () => ({ kind: 'append', url, mailboxId: inbox.id, loops: 4, perLoop: 50, body }));

        const { outcomes, ms } = await runTogether(jobs);
        t.diagnostic(`600 appends from 3 processes in ${ms.toFixed(0)} ms = ${(600 / (ms / 1000)).toFixed(0)}/s against ${mongo.server}`);

        const perChild = outcomes.map((o) => ('loops' in o ? o.loops : []));
        for (const loops of perChild) {
          assert.equal(loops.flat().length, 200);
          // each sequence of appends sees its own UIDs in ascending order
          for (const uids of loops) assert.deepEqual(uids, [...uids].sort((a, b) => a - b));
        }
        // the processes really ran together: each one's UIDs interleave with the others'
        const spans = perChild.map((loops) => ({ min: Math.min(...loops.flat()), max: Math.max(...loops.flat()) }));
        const overlapping = spans.filter((s, i) => spans.some((o, j) => j !== i && o.min < s.max && s.min < o.max));
        assert.ok(overlapping.length >= 2, 'the appending processes ran one after another, not concurrently');
        const all = perChild.flat(2).sort((a, b) => a - b);
        assert.deepEqual(all, Array.from({ length: 600 }, (_, i) => i + 1), 'UIDs are distinct and consecutive');

        const mailbox = await store.getMailboxById(inbox.id);
        assert.equal(mailbox?.uidNext, 601);
        assert.equal(mailbox?.highestModseq, 601);
        const messages = await store.listMessages(inbox.id);
        assert.deepEqual(messages.map((m) => m.uid), all);
        for (const message of messages) assert.equal(message.modseq, message.uid + 1, 'uid and modseq are allocated together');
        const journal = await store.readJournal(inbox.id, 0);
        assert.deepEqual(
          journal.map((entry) => [entry.kind, entry.modseq, entry.uid]),
          Array.from({ length: 600 }, (_, i) => ['append', i + 2, i + 1]),
        );
        assert.equal(await store.blobRefs(blobHash(Buffer.from(body))), 600, 'one reference to the shared body per message');
        const sample = messages[300];
        assert.ok(sample);
        assert.match((await store.readMessage(sample)).toString(), /^Subject: \d+ loop \d #\d+\r\n\r\nthe same 5 KB body/);
        const owner = await store.getUserById(user.id);
        assert.equal(owner?.storageUsed, messages.reduce((sum, m) => sum + m.size, 0));
      } finally {
        await store.close();
      }
    });

    test('2 processes leasing the same queue concurrently never lease the same entry', { timeout: 300_000 }, async () => {
      const url = databaseUrl(mongo.url, `postern_processes_${run}_queue`);
      const store = await MongoStore.open(url);
      try {
        const past = new Date(Date.now() - 60_000);
        const ids: QueueId[] = [];
        for (let i = 0; i < 200; i++) {
          const entry = await store.enqueue({
            from: 'alice@example.com',
            recipients: [{ address: `rcpt${i}@remote.example` }],
            parts: [Buffer.from(`message ${i}\r\n`)],
            nextAttemptAt: past,
          });
          ids.push(entry.id);
        }

        const { outcomes } = await runTogether([
          { kind: 'lease', url, owner: 'worker-a', limit: 2 },
          { kind: 'lease', url, owner: 'worker-b', limit: 2 },
        ]);

        const [a, b] = outcomes.map((o) => ('leased' in o ? o.leased : []));
        assert.ok(a && b);
        assert.ok(a.length > 0 && b.length > 0, `one process leased everything (${a.length}/${b.length})`);
        assert.deepEqual(
          a.filter((id) => b.includes(id)),
          [],
        );
        assert.equal(new Set(a).size, a.length);
        assert.equal(new Set(b).size, b.length);
        assert.deepEqual([...a, ...b].sort(), [...ids].sort());
        // the stored lease owner is the process that got the entry
        const owners = new Map((await store.listQueue()).map((entry) => [entry.id, entry.leaseOwner]));
        for (const id of a) assert.equal(owners.get(id), 'worker-a');
        for (const id of b) assert.equal(owners.get(id), 'worker-b');
      } finally {
        await store.close();
      }
    });
  });
}
