import { isBcrypt, verifyBcrypt } from './bcrypt.js';
import { isMd5Crypt, verifyMd5Crypt } from './md5-crypt.js';
import { isShaCrypt, verifyShaCrypt } from './sha-crypt.js';

/**
 * Verifies a crypt(3) value. Dovecot hands every *-CRYPT scheme to crypt(3), which picks the
 * algorithm from the value's own `$id$`, so `{SHA512-CRYPT}$5$…` verifies there too.
 * MD5-crypt ($1$) verifies for imported hashes; DES crypt is not supported and never matches.
 */
export async function verifyCrypt(plain: string, value: string): Promise<boolean> {
  if (isShaCrypt(value)) return verifyShaCrypt(plain, value);
  if (isBcrypt(value)) return verifyBcrypt(plain, value);
  if (isMd5Crypt(value)) return verifyMd5Crypt(plain, value);
  return false;
}
