// The store conformance suite against the SQLite backend, one database file per test in a temp dir.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreConformance } from '../src/conformance/index.js';
import { OpenStores } from '../src/conformance/open-stores.js';
import { SqliteStore } from '../src/sqlite/index.js';

runStoreConformance(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'postern-store-sqlite-'));
  const stores = new OpenStores();
  let count = 0;
  return {
    name: 'sqlite',
    server: `SQLite database files in ${dir}`,
    async fresh() {
      const path = join(dir, `store-${++count}.sqlite`);
      return {
        store: stores.track(await SqliteStore.open(path)),
        openPeer: async () => stores.track(await SqliteStore.open(path)),
      };
    },
    async teardown() {
      try {
        await stores.closeAll();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
});
