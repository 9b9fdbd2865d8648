import { verifyArgon2 } from './argon2.js';
import { verifyCrypt } from './crypt.js';
import { verifyDigest } from './digest.js';
import { verifyPlain } from './plain.js';
import { verifyScrypt } from './scrypt.js';
import type { StoredPassword } from './stored.js';
import { splitStoredPassword } from './stored.js';

async function verifyStored(plain: string, { scheme, encoding, value }: StoredPassword): Promise<boolean> {
  // Only the digest and plaintext schemes have an encoding to choose; the others spell their own.
  const encoded = encoding !== undefined;
  switch (scheme) {
    case 'SCRYPT':
      return !encoded && verifyScrypt(plain, value);
    case 'ARGON2ID':
    case 'ARGON2I':
      return !encoded && verifyArgon2(plain, value);
    case 'SHA512-CRYPT':
    case 'SHA256-CRYPT':
    case 'BLF-CRYPT':
    case 'MD5-CRYPT':
    case 'CRYPT':
      return !encoded && verifyCrypt(plain, value);
    case 'SSHA512':
    case 'SHA512':
    case 'SSHA256':
    case 'SHA256':
      return verifyDigest(scheme, plain, value, encoding);
    case 'PLAIN':
    case 'CLEAR':
      return verifyPlain(plain, value, encoding);
  }
}

/** Verifies on the calling thread (a password worker, or the main thread for the cheap schemes). */
export async function verifyStoredHere(plain: string, stored: string): Promise<boolean> {
  const parsed = splitStoredPassword(stored);
  return parsed !== null && verifyStored(plain, parsed);
}
