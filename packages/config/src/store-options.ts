import { join } from 'node:path';
import type { PosternConfig } from './schema.js';

/** What @postern/store's openStore takes; shaped here so the config package needs no store import. */
export type ConfiguredStore = { backend: 'sqlite'; path: string } | { backend: 'mongodb'; url: string };

export const SQLITE_FILE_NAME = 'postern.sqlite';

export function storeOptions(config: PosternConfig): ConfiguredStore {
  if (config.store.backend === 'mongodb') {
    // The schema refuses mongodb without a url; this guards a hand-built config object.
    if (config.store.url === undefined) throw new Error('store.url: missing (expected a MongoDB connection string when store.backend is "mongodb")');
    return { backend: 'mongodb', url: config.store.url };
  }
  return { backend: 'sqlite', path: join(config.data_dir, SQLITE_FILE_NAME) };
}
