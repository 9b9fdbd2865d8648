import { randomBytes } from 'node:crypto';
import { encodeBase64 as encodeBcrypt64, hash as bcryptHash } from 'bcryptjs';
import { bytesEqual } from './constant-time.js';

// Cost of new BLF-CRYPT hashes: 2^10 rounds, OWASP's floor for bcrypt (Dovecot's default is 5).
export const BCRYPT_COST = 10;
// bcrypt keys Blowfish with at most 72 bytes of the password; the rest is ignored.
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

// $2a$, $2b$ and $2y$ compute the same hash; $2x$ (crypt_blowfish's buggy mode) is not accepted.
const BCRYPT = /^\$2([aby])\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

export function isBcrypt(value: string): boolean {
  return /^\$2[aby]\$/.test(value);
}

/** Hashes to `$2y$10$<salt><hash>`, the prefix Dovecot writes for BLF-CRYPT. */
export async function hashBcrypt(plain: string): Promise<string> {
  if (Buffer.byteLength(plain, 'utf8') > BCRYPT_MAX_PASSWORD_BYTES) {
    throw new Error(`BLF-CRYPT ignores everything after the first ${BCRYPT_MAX_PASSWORD_BYTES} bytes of a password: use SCRYPT for this one`);
  }
  const salt = encodeBcrypt64(randomBytes(16), 16);
  // bcryptjs's async form works in slices, yielding to the event loop between them.
  return bcryptHash(plain, `$2y$${String(BCRYPT_COST).padStart(2, '0')}$${salt}`);
}

export async function verifyBcrypt(plain: string, value: string): Promise<boolean> {
  const match = BCRYPT.exec(value);
  if (!match) return false;
  const [, minor, costText, salt, expected] = match;
  if (expected === undefined) return false;
  const cost = Number(costText);
  if (cost < 4 || cost > 31) return false;
  const computed = await bcryptHash(plain, `$2${minor}$${costText}$${salt}`);
  // Compare only the 31 hash characters: the salt's last character has 4 free bits, so a
  // stored salt may be spelled differently from bcryptjs's re-encoding of the same bytes.
  return bytesEqual(Buffer.from(computed.slice(-31)), Buffer.from(expected));
}
