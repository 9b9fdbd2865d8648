import { cryptoPool } from './crypto-pool.js';
import { hashValueHere } from './hash-value.js';
import type { PasswordScheme } from './schemes.js';
import { DEFAULT_PASSWORD_SCHEME, parseScheme, runsInWorker } from './schemes.js';

/** Hashes a new password, prefixed with its `{SCHEME}` as Dovecot stores it; SCRYPT unless told otherwise. */
export async function hashPassword(plain: string, scheme: PasswordScheme = DEFAULT_PASSWORD_SCHEME): Promise<string> {
  // Re-read the name so a JavaScript caller passing a stray string gets the list, not "{x}undefined".
  const checked = parseScheme(scheme);
  if (plain.length === 0) throw new Error('refusing to hash an empty password: give a non-empty one');
  const value = runsInWorker(checked) ? String(await cryptoPool.run({ kind: 'hash', plain, scheme: checked })) : await hashValueHere(plain, checked);
  return `{${checked}}${value}`;
}
