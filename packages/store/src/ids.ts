import { createHash, randomBytes } from 'node:crypto';
import type { BlobHash } from './types.js';

/**
 * A 24-hex-digit identifier: 4 bytes of seconds since the epoch, then 8
 * random bytes. Sorts roughly by creation time and fits a MongoDB ObjectId's
 * shape, so both backends use the same ids.
 */
export function newId<T extends string>(): T {
  const time = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return (time + randomBytes(8).toString('hex')) as T;
}

export function blobHash(data: Buffer): BlobHash {
  return createHash('sha256').update(data).digest('hex') as BlobHash;
}

/** A fresh UIDVALIDITY (RFC 3501 §2.3.1.1): a non-zero 32-bit value that differs per mailbox incarnation. */
export function newUidValidity(): number {
  const seconds = Math.floor(Date.now() / 1000) & 0x7fffffff;
  return (seconds ^ randomBytes(2).readUInt16BE(0)) || 1;
}
