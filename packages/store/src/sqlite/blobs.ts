// Content-addressed, reference-counted blobs. put/release are single
// statements or run inside the caller's write transaction, so a concurrent
// put and release of one hash can never drop a blob that is still referenced.
import { StoreNotFoundError } from '../errors.js';
import { blobHash } from '../ids.js';
import type { BlobHash } from '../types.js';
import type { SqliteDb } from './db.js';

/** A part ready to store: its hash is computed before the write lock is taken. */
export interface HashedPart {
  hash: BlobHash;
  data: Buffer;
}

export function hashPart(data: Buffer): HashedPart {
  return { hash: blobHash(data), data };
}

export function hashParts(parts: readonly Buffer[]): HashedPart[] {
  return parts.map(hashPart);
}

export function totalSize(parts: readonly HashedPart[]): number {
  return parts.reduce((sum, part) => sum + part.data.length, 0);
}

/** Stores the bytes once and adds one reference. */
export function putBlob(db: SqliteDb, part: HashedPart): void {
  db.run(
    `INSERT INTO blobs (hash, data, size, refs) VALUES (?, ?, ?, 1)
     ON CONFLICT (hash) DO UPDATE SET refs = refs + 1`,
    part.hash,
    part.data,
    part.data.length,
  );
}

/** Adds one reference to a blob already stored (a copied message shares its parts). */
export function addBlobRef(db: SqliteDb, hash: BlobHash): void {
  db.run('UPDATE blobs SET refs = refs + 1 WHERE hash = ?', hash);
}

/** Drops one reference; deletes the blob when none remain. Call inside a write transaction. */
export function releaseBlob(db: SqliteDb, hash: BlobHash): void {
  db.run('UPDATE blobs SET refs = refs - 1 WHERE hash = ?', hash);
  db.run('DELETE FROM blobs WHERE hash = ? AND refs <= 0', hash);
}

export function getBlob(db: SqliteDb, hash: BlobHash): Buffer | null {
  return db.one<{ data: Buffer }>('SELECT data FROM blobs WHERE hash = ?', hash)?.data ?? null;
}

export function blobRefs(db: SqliteDb, hash: BlobHash): number {
  return db.one<{ refs: number }>('SELECT refs FROM blobs WHERE hash = ?', hash)?.refs ?? 0;
}

/** The message's bytes: its blobs concatenated in order. */
export function readParts(db: SqliteDb, parts: readonly BlobHash[]): Buffer {
  const buffers = parts.map((hash) => {
    const data = getBlob(db, hash);
    if (data === null) throw new StoreNotFoundError(`blob ${hash} is missing`);
    return data;
  });
  return Buffer.concat(buffers);
}
