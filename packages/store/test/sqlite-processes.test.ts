// Several OS processes sharing one SQLite file, as the MTA, the mailstore and
// the CLI do: UID/MODSEQ allocation and queue leases must hold across them.
// This file is also the child program: forked with POSTERN_SQLITE_CHILD set,
// it runs one worker instead of the tests.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../src/sqlite/index.js';
import type { MailboxId, QueueId } from '../src/types.js';
import { childJob, forkTogether, runChild } from './fork-together.js';

/** What the parent tells a child to do. */
type Job =
  | { kind: 'append'; file: string; mailboxId: MailboxId; count: number }
  | { kind: 'lease'; file: string; owner: string; limit: number };

/** What a child reports back: the UIDs it got, or the queue ids it leased. */
type Outcome = { uids: number[] } | { leased: QueueId[] };

/**
 * A short gap between operations, as real work (parsing, delivering) leaves.
 * Without it one process re-takes the write lock before the others wake from
 * their busy wait, and the processes run one after another, not together.
 */
const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.random() * 2));

async function runJob(job: Job, started: Promise<void>): Promise<Outcome> {
  const store = await SqliteStore.open(job.file);
  try {
    process.send?.('ready');
    await started;
    if (job.kind === 'append') {
      const uids: number[] = [];
      for (let i = 0; i < job.count; i++) {
        const body = Buffer.from(`Subject: ${process.pid} #${i}\r\n\r\nhello\r\n`);
        const { message } = await store.appendMessage(job.mailboxId, { parts: [body] });
        uids.push(message.uid);
        await pause();
      }
      return { uids };
    }
    const leased: QueueId[] = [];
    for (;;) {
      const batch = await store.leaseQueueEntries(job.owner, new Date(), 10 * 60_000, job.limit);
      if (batch.length === 0) return { leased };
      leased.push(...batch.map((entry) => entry.id));
      await pause();
    }
  } finally {
    await store.close();
  }
}

const job = childJob<Job>('POSTERN_SQLITE_CHILD');
if (job) {
  await runChild(job, runJob);
} else {
  const self = fileURLToPath(import.meta.url);
  const runTogether = async (jobs: Job[]) => (await forkTogether<Job, Outcome>(self, 'POSTERN_SQLITE_CHILD', jobs)).outcomes;

  describe('sqlite store shared by several processes', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'postern-sqlite-processes-'));
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    test('4 processes × 100 concurrent appends to one mailbox get UIDs 1..400 and highestModseq 401 (the mailbox started at 1)', { timeout: 120_000 }, async () => {
      const file = join(dir, 'appends.sqlite');
      const store = await SqliteStore.open(file);
      try {
        const user = await store.addUser({ address: 'alice@example.com', passwordHash: '{PLAIN}x' });
        const inbox = await store.createMailbox(user.id, 'INBOX');
        const jobs: Job[] = Array.from({ length: 4 }, () => ({ kind: 'append', file, mailboxId: inbox.id, count: 100 }));

        const outcomes = await runTogether(jobs);

        const perChild = outcomes.map((o) => ('uids' in o ? o.uids : []));
        for (const uids of perChild) {
          assert.equal(uids.length, 100);
          // each process sees its own appends in ascending order
          assert.deepEqual(uids, [...uids].sort((a, b) => a - b));
        }
        // the processes really ran together: their UIDs interleave
        const interleaved = perChild.filter((uids) => uids.some((uid, i) => i > 0 && uid !== (uids[i - 1] ?? 0) + 1));
        assert.ok(interleaved.length >= 2, 'the appending processes ran one after another, not concurrently');
        const all = perChild.flat().sort((a, b) => a - b);
        assert.deepEqual(all, Array.from({ length: 400 }, (_, i) => i + 1));

        const mailbox = await store.getMailboxById(inbox.id);
        assert.equal(mailbox?.uidNext, 401);
        assert.equal(mailbox?.highestModseq, 401);
        const messages = await store.listMessages(inbox.id);
        assert.deepEqual(messages.map((m) => m.uid), all);
        const journal = await store.readJournal(inbox.id, 0);
        assert.deepEqual(
          journal.map((entry) => [entry.kind, entry.modseq]),
          Array.from({ length: 400 }, (_, i) => ['append', i + 2]),
        );
        const owner = await store.getUserById(user.id);
        assert.equal(owner?.storageUsed, messages.reduce((sum, m) => sum + m.size, 0));
      } finally {
        await store.close();
      }
    });

    test('2 processes leasing the same queue concurrently never lease the same entry', { timeout: 120_000 }, async () => {
      const file = join(dir, 'queue.sqlite');
      const store = await SqliteStore.open(file);
      try {
        const past = new Date(Date.now() - 60_000);
        const ids: QueueId[] = [];
        for (let i = 0; i < 300; i++) {
          const entry = await store.enqueue({
            from: 'alice@example.com',
            recipients: [{ address: `rcpt${i}@remote.example` }],
            parts: [Buffer.from(`message ${i}\r\n`)],
            nextAttemptAt: past,
          });
          ids.push(entry.id);
        }

        const outcomes = await runTogether([
          { kind: 'lease', file, owner: 'worker-a', limit: 2 },
          { kind: 'lease', file, owner: 'worker-b', limit: 2 },
        ]);

        const [a, b] = outcomes.map((o) => ('leased' in o ? o.leased : []));
        assert.ok(a && b);
        assert.ok(a.length > 0 && b.length > 0, `one process leased everything (${a.length}/${b.length})`);
        const overlap = a.filter((id) => b.includes(id));
        assert.deepEqual(overlap, []);
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
