import { MongoError } from 'mongodb';
import { StoreConflictError } from '../errors.js';

/** E11000: a unique index refused the write (both MongoDB and the test server use code 11000). */
export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoError && error.code === 11000;
}

/** Runs a write; a unique-index violation becomes a StoreConflictError saying what was duplicated. */
export async function uniqueWrite<T>(write: () => Promise<T>, duplicate: string): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isDuplicateKey(error)) throw new StoreConflictError(`${duplicate} already exists`);
    throw error;
  }
}

/**
 * Concurrent upserts of one key may race to insert and one gets E11000 (MongoDB
 * does not always retry them itself); the retry then finds the document.
 */
export async function upsertWithRetry<T>(upsert: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await upsert();
    } catch (error) {
      if (!isDuplicateKey(error) || attempt >= 5) throw error;
    }
  }
}
