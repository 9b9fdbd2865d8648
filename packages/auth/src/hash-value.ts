import { hashArgon2id } from './argon2.js';
import { hashBcrypt } from './bcrypt.js';
import type { PasswordScheme } from './schemes.js';
import { hashScrypt } from './scrypt.js';
import { hashSha512Crypt } from './sha-crypt.js';

/** Hashes on the calling thread (a password worker, or the main thread for SCRYPT and PLAIN). */
export async function hashValueHere(plain: string, scheme: PasswordScheme): Promise<string> {
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
