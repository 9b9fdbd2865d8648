// Online backup and offline restore of the SQLite file (issue 12: one file holds everything,
// the DKIM private keys included, so it is created 0600 and copied with SQLite's own backup API).
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreError } from '../errors.js';

/** Creates `path` empty with mode 0600 unless it exists; SQLite gives its -wal and -shm the same mode. */
export function createPrivateFile(path: string): void {
  if (path === ':memory:' || existsSync(path)) return;
  closeSync(openSync(path, 'a', 0o600));
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A consistent copy while the store serves: SQLite's online backup API
 * (https://sqlite.org/backup.html) copies the pages of one read snapshot,
 * stepping so that writers are not held up. Written to a 0600 temp file,
 * synced and renamed, so that DEST is either the old file or the whole copy.
 */
export async function backupTo(db: Database.Database, destination: string): Promise<void> {
  const temp = `${destination}.tmp-${process.pid}`;
  rmSync(temp, { force: true });
  createPrivateFile(temp);
  try {
    await db.backup(temp);
    syncFile(temp);
    renameSync(temp, destination);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Refuses a file that is not an intact SQLite database (PRAGMA integrity_check). */
function checkBackup(file: string): void {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new StoreError('invalid', `${file} is not a readable SQLite backup: ${(err as Error).message}`);
  }
  try {
    const result = db.pragma('integrity_check', { simple: true });
    if (result !== 'ok') throw new StoreError('invalid', `${file} fails SQLite's integrity check: ${String(result)}`);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError('invalid', `${file} is not a SQLite database: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

/**
 * Puts a backup in place of a stopped store's file. The current file is
 * checkpointed (its WAL folded in, so no stale -wal is left beside the
 * restored file) and kept as FILE.before-restore; the backup is copied in
 * with mode 0600, synced, and renamed over the file.
 */
export async function restoreFrom(file: string, target: string): Promise<{ previous: string | null }> {
  checkBackup(file);
  let previous: string | null = null;
  if (existsSync(target)) {
    const current = new Database(target);
    try {
      current.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      current.close();
    }
    previous = `${target}.before-restore`;
    renameSync(target, previous);
  }
  for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
  const incoming = new Database(file, { readonly: true, fileMustExist: true });
  try {
    await backupTo(incoming, target);
  } finally {
    incoming.close();
  }
  return { previous };
}
