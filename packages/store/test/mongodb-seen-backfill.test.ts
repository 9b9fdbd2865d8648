// MongoDB: message documents written before the `seen` field existed get it when the store opens
// (an idempotent updateMany, once: a marker in `migrations`), so UNSEEN counts and searches stay exact.
// MONGO_URL when set, else the pinned test server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { MongoStore } from '../src/mongodb/index.js';
import { databaseUrl, startTestMongo, type TestMongo } from '../src/testing/mongo-server.js';

let mongo: TestMongo;
before(async () => {
  mongo = await startTestMongo();
});
after(() => mongo?.stop());

test('opening the store backfills seen on documents without it, from their \\Seen flag', { timeout: 60_000 }, async (t) => {
  t.diagnostic(`server: ${mongo.server}`);
  const url = databaseUrl(mongo.url, `postern_backfill_${randomBytes(4).toString('hex')}`);
  let store = await MongoStore.open(url);
  const user = await store.addUser({ address: 'alice@example.com', passwordHash: '{PLAIN}x' });
  const mailbox = await store.createMailbox(user.id, 'INBOX');
  for (let n = 1; n <= 6; n++) {
    await store.appendMessage(mailbox.id, { parts: [Buffer.from(`Subject: ${n}\r\n\r\nbody\r\n`)], flags: n % 2 === 0 ? ['\\Seen'] : [] });
  }
  await store.close();

  // As an older Postern left them: no seen field, and no marker.
  const client = new MongoClient(url);
  await client.connect();
  try {
    await client.db().collection('messages').updateMany({}, { $unset: { seen: '' } });
    await client.db().collection('migrations').deleteMany({});
    assert.equal(await client.db().collection('messages').countDocuments({ seen: { $exists: true } }), 0);

    store = await MongoStore.open(url);
    try {
      assert.equal(await store.countMessages(mailbox.id, { unseen: true }), 3);
      assert.deepEqual(await store.searchFlags(mailbox.id, { flags: [{ flag: '\\Seen', set: false }] }), [1, 3, 5]);
      assert.deepEqual(await store.searchFlags(mailbox.id, { flags: [{ flag: '\\Seen', set: true }] }), [2, 4, 6]);
      assert.ok(await client.db().collection('migrations').findOne({ _id: 'messages.seen' as never }), 'the marker is left');
    } finally {
      await store.close();
    }
  } finally {
    await client.close();
  }
});
