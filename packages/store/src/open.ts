import type { Store } from './store.js';

export interface StoreOptions {
  backend: 'sqlite' | 'mongodb';
  /** sqlite: path of the database file. */
  path?: string;
  /** mongodb: connection string including the database name. */
  url?: string;
}

/**
 * Opens the configured backend. Drivers are imported here only, and lazily,
 * so a sqlite deployment never loads the MongoDB driver and vice versa.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.backend === 'sqlite') {
    if (!options.path) throw new Error('store: sqlite needs a database file path');
    const { SqliteStore } = await import('./sqlite/index.js');
    return SqliteStore.open(options.path);
  }
  if (!options.url) throw new Error('store.url: the mongodb backend needs a connection string');
  const { MongoStore } = await import('./mongodb/index.js');
  return MongoStore.open(options.url);
}
