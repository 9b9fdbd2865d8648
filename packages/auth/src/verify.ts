import { cryptoPool } from './crypto-pool.js';
import { runsInWorker } from './schemes.js';
import { splitStoredPassword } from './stored.js';
import { verifyStoredHere } from './verify-stored.js';

/**
 * Checks a password against a stored hash in any scheme Postern accepts (Dovecot's `{SCHEME}`
 * prefixes, or a bare `$6$`/`$2y$`/`$argon2id$`/`$scrypt$` hash). Never throws: an unknown
 * scheme, a malformed hash or an empty password is simply not a match. The CPU-bound schemes
 * run in a worker thread; SCRYPT in libuv's threadpool; digests and plaintext are cheap.
 */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  if (typeof plain !== 'string' || typeof stored !== 'string' || plain.length === 0) return false;
  const parsed = splitStoredPassword(stored);
  if (parsed === null) return false;
  try {
    return runsInWorker(parsed.scheme) ? (await cryptoPool.run({ kind: 'verify', plain, stored })) === true : await verifyStoredHere(plain, stored);
  } catch {
    // A library's complaint about odd input must not reach the caller, and its message may quote the hash.
    return false;
  }
}
