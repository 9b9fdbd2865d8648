import { watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@postern/log';

// Postfix's postdrop writes into maildrop and then pokes pickup through the public/pickup
// FIFO. Ours is a file in data_dir: `postern sendmail` touches it after committing to the queue
// in the store, and every MTA on this host watching the directory runs its queue at once
// instead of at its next queue_run_delay poll. A lost poke costs only that delay.
const PICKUP = 'pickup';

/** After a local submission is committed: wake the running MTA. Never fails (the poll covers it). */
export function notifyPickup(dataDir: string): void {
  try {
    writeFileSync(join(dataDir, PICKUP), `${process.pid}\n`);
  } catch {
    // Not writable by this user, or no data_dir: the queue runner's poll picks the entry up.
  }
}

/** Calls `wake` whenever a local submission pokes data_dir; returns the way to stop watching. */
export function watchPickup(dataDir: string, logger: Logger, wake: () => void): () => void {
  let watcher: FSWatcher;
  try {
    watcher = watch(dataDir, { persistent: false }, (_event, file) => {
      if (file === PICKUP) wake();
    });
  } catch (err) {
    logger.warn({ event: 'pickup_unwatched', data_dir: dataDir, err: (err as Error).message }, `cannot watch ${dataDir} for local submissions: they wait for the next queue run`);
    return () => {};
  }
  watcher.on('error', (err) => logger.warn({ event: 'pickup_unwatched', err: err.message }, 'watching for local submissions stopped: they wait for the next queue run'));
  return () => watcher.close();
}
