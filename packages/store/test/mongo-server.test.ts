import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { databaseUrl, startTestMongo } from '../src/testing/index.js';

async function ping(url: string): Promise<unknown> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1_500, connectTimeoutMS: 1_500 });
  try {
    await client.connect();
    return (await client.db('admin').command({ ping: 1 })).ok;
  } finally {
    await client.close();
  }
}

/** Runs `body` with MONGO_URL set to `value` (or unset), restoring it afterwards. */
async function withMongoUrl<T>(value: string | undefined, body: () => Promise<T>): Promise<T> {
  const saved = process.env.MONGO_URL;
  if (value === undefined) delete process.env.MONGO_URL;
  else process.env.MONGO_URL = value;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env.MONGO_URL;
    else process.env.MONGO_URL = saved;
  }
}

describe('startTestMongo', () => {
  test('gives a server that answers a ping and names itself', async () => {
    const mongo = await startTestMongo();
    try {
      console.log(`# MongoDB under test: ${mongo.server}`);
      assert.match(mongo.url, /^mongodb(\+srv)?:\/\//);
      assert.match(mongo.server, /MongoDB \S+ at mongodb/);
      assert.equal(await ping(mongo.url), 1);
    } finally {
      await mongo.stop();
    }
  });

  test('spawns the pinned test server on a loopback port and stops it so the port no longer answers', async () => {
    const mongo = await withMongoUrl(undefined, startTestMongo);
    let stopped = false;
    try {
      assert.match(mongo.url, /^mongodb:\/\/127\.0\.0\.1:\d+\//);
      assert.match(mongo.server, /@jongodb\/memory-server-bin-linux-x64-gnu@0\.1\.6/);
      assert.equal(await ping(mongo.url), 1);
      await mongo.stop();
      stopped = true;
      await assert.rejects(ping(mongo.url));
      await mongo.stop(); // a second stop is harmless
    } finally {
      if (!stopped) await mongo.stop();
    }
  });

  test('uses MONGO_URL instead of spawning, and leaves that server running on stop', async () => {
    const spawned = await withMongoUrl(undefined, startTestMongo);
    try {
      const given = await withMongoUrl(spawned.url, startTestMongo);
      assert.equal(given.url, spawned.url);
      assert.match(given.server, /\(MONGO_URL\)$/);
      await given.stop();
      assert.equal(await ping(spawned.url), 1);
    } finally {
      await spawned.stop();
    }
  });

  test('fails with the cause when MONGO_URL names no server', async () => {
    await withMongoUrl('mongodb://127.0.0.1:1/postern', async () => {
      await assert.rejects(startTestMongo(), /MONGO_URL mongodb:\/\/127\.0\.0\.1:1\/postern does not answer/);
    });
  });
});

describe('databaseUrl', () => {
  test('replaces the database name and keeps hosts and options', () => {
    assert.equal(databaseUrl('mongodb://127.0.0.1:40123/test', 'postern_a'), 'mongodb://127.0.0.1:40123/postern_a');
    assert.equal(databaseUrl('mongodb://127.0.0.1:40123', 'x'), 'mongodb://127.0.0.1:40123/x');
    assert.equal(
      databaseUrl('mongodb://u:p@h1:1,h2:2/admin?replicaSet=rs0&w=majority', 'postern'),
      'mongodb://u:p@h1:1,h2:2/postern?replicaSet=rs0&w=majority',
    );
    assert.equal(databaseUrl('mongodb://h:1/?tls=true', 'db'), 'mongodb://h:1/db?tls=true');
  });

  test('refuses a database name MongoDB would not accept', () => {
    assert.throws(() => databaseUrl('mongodb://h:1/test', 'a.b'), /invalid MongoDB database name/);
    assert.throws(() => databaseUrl('mongodb://h:1/test', ''), /invalid MongoDB database name/);
  });
});
