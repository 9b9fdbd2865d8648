// The store conformance suite against the MongoDB backend: MONGO_URL when set, else the pinned
// jongodb test server; one database per test.
import { randomBytes } from 'node:crypto';
import { runStoreConformance } from '../src/conformance/index.js';
import { OpenStores } from '../src/conformance/open-stores.js';
import { MongoStore } from '../src/mongodb/index.js';
import { databaseUrl, startTestMongo } from '../src/testing/mongo-server.js';

runStoreConformance(async () => {
  const mongo = await startTestMongo();
  const stores = new OpenStores();
  // The test server keeps databases it cannot drop; a run prefix keeps runs against MONGO_URL apart.
  const run = randomBytes(4).toString('hex');
  let count = 0;
  return {
    name: 'mongodb',
    server: mongo.server,
    async fresh() {
      const url = databaseUrl(mongo.url, `postern_conformance_${run}_${++count}`);
      return {
        store: stores.track(await MongoStore.open(url)),
        openPeer: async () => stores.track(await MongoStore.open(url)),
      };
    },
    async teardown() {
      try {
        await stores.closeAll();
      } finally {
        await mongo.stop();
      }
    },
  };
});
