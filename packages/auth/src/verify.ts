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

/**
 * Checks a password against a stored hash in any scheme Postern accepts (Dovecot's `{SCHEME}`
 * prefixes, or a bare `$6$`/`$2y$`/`$argon2id$`/`$scrypt$` hash). Never throws: an unknown
 * scheme, a malformed hash or an empty password is simply not a match.
 */
export async function verifyPassword(plain: string, stored: string): Promise<boolean> {
  if (typeof plain !== 'string' || typeof stored !== 'string' || plain.length === 0) return false;
  const parsed = splitStoredPassword(stored);
  if (parsed === null) return false;
  try {
    return await verifyStored(plain, parsed);
  } catch {
    // A library's complaint about odd input must not reach the caller, and its message may quote the hash.
    return false;
  }
}
