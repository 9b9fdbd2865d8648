// The store conformance suite against the MongoDB backend: MONGO_URL when set, else the pinned
// jongodb test server; one database per test.
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { runStoreConformance } from '../src/conformance/index.js';
import { OpenStores } from '../src/conformance/open-stores.js';
import { MongoStore } from '../src/mongodb/index.js';
import { databaseUrl, startTestMongo } from '../src/testing/mongo-server.js';

runStoreConformance(async () => {
  const mongo = await startTestMongo();
  const stores = new OpenStores();
  // A run prefix keeps runs against one MONGO_URL server apart.
  const run = randomBytes(4).toString('hex');
  const databases: string[] = [];
  return {
    name: 'mongodb',
    server: mongo.server,
    async fresh() {
      const name = `postern_conformance_${run}_${databases.length + 1}`;
      databases.push(name);
      const url = databaseUrl(mongo.url, name);
      return {
        store: stores.track(await MongoStore.open(url)),
        openPeer: async () => stores.track(await MongoStore.open(url)),
      };
    },
    async teardown() {
      try {
        await stores.closeAll();
        // A MONGO_URL server outlives the run, so its test databases are dropped; the test server just stops.
        if (process.env.MONGO_URL) await dropDatabases(mongo.url, databases);
      } finally {
        await mongo.stop();
      }
    },
  };
});

/** Best effort: a server without dropDatabase (like the test server) keeps them, and the run says so. */
async function dropDatabases(url: string, names: readonly string[]): Promise<void> {
  const client = await MongoClient.connect(url);
  try {
    for (const name of names) await client.db(name).dropDatabase();
  } catch (err) {
    console.log(`store conformance: could not drop the test databases postern_conformance_*: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await client.close();
  }
}
