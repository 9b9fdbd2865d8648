import { resolve } from 'node:path';
import { StoreError } from './errors.js';
import type { StoreOptions } from './open.js';

/**
 * Puts a `Store.backup` file in place of the configured store, which must
 * not be running. Resolves with where the replaced file was kept (or null).
 */
export async function restoreStore(options: StoreOptions, file: string): Promise<{ previous: string | null }> {
  if (options.backend === 'sqlite') {
    if (!options.path) throw new Error('store: sqlite needs a database file path');
    const { restoreFrom } = await import('./sqlite/backup.js');
    return restoreFrom(resolve(file), resolve(options.path));
  }
  throw new StoreError('unsupported', 'the mongodb backend is restored with MongoDB\'s tools: mongorestore --oplogReplay --archive=FILE');
}
