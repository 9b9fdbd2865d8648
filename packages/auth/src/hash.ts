import { hashArgon2id } from './argon2.js';
import { hashBcrypt } from './bcrypt.js';
import type { PasswordScheme } from './schemes.js';
import { DEFAULT_PASSWORD_SCHEME, parseScheme } from './schemes.js';
import { hashScrypt } from './scrypt.js';
import { hashSha512Crypt } from './sha-crypt.js';

async function hashValue(plain: string, scheme: PasswordScheme): Promise<string> {
  switch (scheme) {
    case 'SCRYPT':
      return hashScrypt(plain);
    case 'ARGON2ID':
      return hashArgon2id(plain);
    case 'SHA512-CRYPT':
      return hashSha512Crypt(plain);
    case 'BLF-CRYPT':
      return hashBcrypt(plain);
    case 'PLAIN':
      return plain;
  }
}

/** Hashes a new password, prefixed with its `{SCHEME}` as Dovecot stores it; SCRYPT unless told otherwise. */
export async function hashPassword(plain: string, scheme: PasswordScheme = DEFAULT_PASSWORD_SCHEME): Promise<string> {
  // Re-read the name so a JavaScript caller passing a stray string gets the list, not "{x}undefined".
  const checked = parseScheme(scheme);
  if (plain.length === 0) throw new Error('refusing to hash an empty password: give a non-empty one');
  return `{${checked}}${await hashValue(plain, checked)}`;
}
