// The MongoDB backend's start-at-1 update (RFC 7162 §3.1.1), run at every open: a mailbox document
// stored before it, never changed (highestModseq 0), opens at 1; one with changes keeps its MODSEQs and
// journal. MONGO_URL when set, else the pinned test server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { MongoStore } from '../src/mongodb/index.js';
import { databaseUrl, startTestMongo, type TestMongo } from '../src/testing/mongo-server.js';
import type { MailboxId } from '../src/types.js';

describe('mongodb: never-changed mailboxes start at MODSEQ 1', () => {
  let mongo: TestMongo;
  const open: MongoStore[] = [];

  before(async () => {
    mongo = await startTestMongo();
  });
  after(async () => {
    await Promise.allSettled(open.map((store) => store.close()));
    await mongo?.stop();
  });

  test('an old-shaped untouched mailbox moves from 0 to 1 at open, a changed one keeps 3 and its journal from 1; again at the next open, nothing moves', { timeout: 60_000 }, async (t) => {
    t.diagnostic(mongo.server);
    const url = databaseUrl(mongo.url, `postern_modseq_start_${randomBytes(4).toString('hex')}`);
    const earlier = await MongoStore.open(url);
    open.push(earlier);
    const user = await earlier.addUser({ address: 'alice@example.com', passwordHash: '{PLAIN}x' });
    // Documents as an earlier Postern wrote them (no recentUid yet); the journal entries are seconds young.
    const client = await MongoClient.connect(url);
    try {
      const db = client.db();
      const base = { userId: user.id, specialUse: null, subscribed: false, createdAt: new Date() };
      await db.collection('mailboxes').insertMany([
        { _id: 'untouched', ...base, path: 'Untouched', uidValidity: 7, uidNext: 1, highestModseq: 0 },
        { _id: 'used', ...base, path: 'INBOX', uidValidity: 8, uidNext: 3, highestModseq: 3 },
      ] as never[]);
      const at = new Date();
      await db.collection('journal').insertMany([
        { _id: 'j1', mailboxId: 'used', modseq: 1, kind: 'append', uid: 1, messageId: 'm1', flags: [], at },
        { _id: 'j2', mailboxId: 'used', modseq: 2, kind: 'append', uid: 2, messageId: 'm2', flags: [], at },
        { _id: 'j3', mailboxId: 'used', modseq: 3, kind: 'flags', uid: 1, messageId: 'm1', flags: ['\\Seen'], at },
      ] as never[]);
    } finally {
      await client.close();
    }

    const store = await MongoStore.open(url);
    open.push(store);
    assert.equal((await store.getMailboxById('untouched' as MailboxId))?.highestModseq, 1);
    assert.equal((await store.getMailboxById('used' as MailboxId))?.highestModseq, 3);
    // The older mailbox's entry 1 lies below a new mailbox's first change: read from 0 it is no hole.
    assert.deepEqual((await store.readJournal('used' as MailboxId, 0)).map((e) => e.modseq), [1, 2, 3]);
    assert.deepEqual((await store.readJournal('used' as MailboxId, 1)).map((e) => e.modseq), [2, 3]);
    const first = await store.appendMessage('untouched' as MailboxId, { parts: [Buffer.from('Subject: first\r\n\r\n')] });
    assert.deepEqual([first.message.uid, first.message.modseq], [1, 2], 'CHANGEDSINCE 1 finds it');
    const next = await store.appendMessage('used' as MailboxId, { parts: [Buffer.from('Subject: next\r\n\r\n')] });
    assert.deepEqual([next.message.uid, next.message.modseq], [3, 4]);

    const again = await MongoStore.open(url);
    open.push(again);
    assert.deepEqual((await again.listMailboxes(user.id)).map((m) => `${m.path}@${m.highestModseq}`), ['INBOX@4', 'Untouched@2']);
  });
});
