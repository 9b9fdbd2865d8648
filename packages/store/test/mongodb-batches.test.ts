// The MongoDB backend writes concurrent appends in batches (one insertMany of
// new blobs, one $inc of existing ones, one insertMany of messages and of
// journal entries). These tests race those batches against other connections
// on the same blobs, where a lost race must fall back without losing or
// double-counting a reference. MONGO_URL when set, else the pinned test server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Binary, MongoClient } from 'mongodb';
import { StoreNotFoundError } from '../src/errors.js';
import { blobHash } from '../src/ids.js';
import { MongoStore } from '../src/mongodb/index.js';
import { databaseUrl, startTestMongo } from '../src/testing/mongo-server.js';
import type { TestMongo } from '../src/testing/mongo-server.js';
import type { MailboxId } from '../src/types.js';

describe('mongodb batched appends and blob references', () => {
  let mongo: TestMongo;
  const run = randomBytes(4).toString('hex');
  let databases = 0;
  const open: MongoStore[] = [];

  /** Two connections to a fresh database and a mailbox in it. */
  async function setup(): Promise<{ url: string; store: MongoStore; peer: MongoStore; mailboxId: MailboxId }> {
    const url = databaseUrl(mongo.url, `postern_batches_${run}_${++databases}`);
    const store = await MongoStore.open(url);
    const peer = await MongoStore.open(url);
    open.push(store, peer);
    const user = await store.addUser({ address: 'alice@example.com', passwordHash: '{PLAIN}x' });
    const inbox = await store.createMailbox(user.id, 'INBOX');
    return { url, store, peer, mailboxId: inbox.id };
  }

  before(async () => {
    mongo = await startTestMongo();
  });
  after(async () => {
    await Promise.allSettled(open.map((store) => store.close()));
    await mongo?.stop();
  });

  test('two connections appending batches that share new parts keep one blob per part with exact counts', { timeout: 120_000 }, async () => {
    const { store, peer, mailboxId } = await setup();
    const shared = Array.from({ length: 5 }, (_, k) => Buffer.from(`attachment ${k} that no blob holds yet\r\n`));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? peer : store).appendMessage(mailboxId, { parts: [Buffer.from(`Subject: ${i}\r\n\r\n`), shared[i % 5]!] }),
      ),
    );
    assert.deepEqual(results.map((r) => r.message.uid).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i + 1));
    for (const part of shared) assert.equal(await store.blobRefs(blobHash(part)), 40);
    for (const [i, { message }] of results.entries()) {
      assert.equal(await peer.blobRefs(message.parts[0]!), 1);
      assert.equal((await peer.readMessage(message)).toString(), `Subject: ${i}\r\n\r\n${shared[i % 5]!.toString()}`);
    }
    const journal = await store.readJournal(mailboxId, 0);
    // the mailbox started at MODSEQ 1: the appends took 2..201
    assert.deepEqual(journal.map((entry) => entry.modseq), Array.from({ length: 200 }, (_, i) => i + 2));
  });

  test('never loses a blob a batched append references while another connection puts and releases the same bytes to zero', { timeout: 300_000 }, async () => {
    const { store, peer, mailboxId } = await setup();
    const churned = Buffer.from('a part that comes and goes\r\n');
    const hash = blobHash(churned);
    for (let round = 0; round < 30; round++) {
      let churning = true;
      const churn = (async () => {
        for (let i = 0; churning || i < 3; i++) {
          await peer.putBlob(churned);
          await peer.releaseBlob(hash);
        }
      })();
      const appended = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.appendMessage(mailboxId, { parts: [Buffer.from(`Subject: round ${round} #${i}\r\n\r\n`), churned] })),
      );
      churning = false;
      await churn;
      assert.equal(await store.blobRefs(hash), 20, `round ${round}: one reference per appended message`);
      for (const { message } of appended) {
        assert.ok((await peer.readMessage(message)).toString().endsWith(churned.toString()), `round ${round}: uid ${message.uid} is readable`);
      }
      const expunged = await store.expungeMessages(mailboxId, appended.map((r) => r.message.uid));
      assert.equal(expunged.length, 20);
      assert.equal(await store.blobRefs(hash), 0, `round ${round}: every reference released`);
      assert.equal(await store.getBlob(hash), null);
    }
  });

  test('counts references to a blob stored without an incarnation (an older document) in a batch', { timeout: 60_000 }, async () => {
    const { url, store, mailboxId } = await setup();
    const old = Buffer.from('stored by an earlier version\r\n');
    const client = await MongoClient.connect(url);
    try {
      await client.db().collection('blobs').insertOne({ _id: blobHash(old) as never, refs: 1, size: old.length, data: new Binary(old) });
    } finally {
      await client.close();
    }
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.appendMessage(mailboxId, { parts: [Buffer.from(`Subject: ${i}\r\n\r\n`), old] })),
    );
    assert.equal(await store.blobRefs(blobHash(old)), 11);
    for (const { message } of results) assert.ok((await store.readMessage(message)).toString().endsWith(old.toString()));
    await store.expungeMessages(mailboxId, results.map((r) => r.message.uid));
    await store.releaseBlob(blobHash(old));
    assert.equal(await store.getBlob(blobHash(old)), null);
  });

  test('rejects only the appends to a missing mailbox in a batch', { timeout: 60_000 }, async () => {
    const { store, mailboxId } = await setup();
    const body = Buffer.from('shared body\r\n');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        store.appendMessage(i % 4 === 3 ? ('000000000000000000000000' as MailboxId) : mailboxId, { parts: [Buffer.from(`Subject: ${i}\r\n\r\n`), body] }),
      ),
    );
    const rejected = results.filter((r) => r.status === 'rejected');
    assert.equal(rejected.length, 5);
    for (const r of rejected) assert.ok(r.reason instanceof StoreNotFoundError);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 15);
    assert.equal(await store.blobRefs(blobHash(body)), 15, 'no reference kept for a rejected append');
    assert.equal(await store.countMessages(mailboxId), 15);
  });
});
