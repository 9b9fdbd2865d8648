import { isBcrypt, verifyBcrypt } from './bcrypt.js';
import { isShaCrypt, verifyShaCrypt } from './sha-crypt.js';

/**
 * Verifies a crypt(3) value. Dovecot hands every *-CRYPT scheme to crypt(3), which picks the
 * algorithm from the value's own `$id$`, so `{SHA512-CRYPT}$5$…` verifies there too.
 * DES and MD5 crypt are not supported and never match.
 */
export async function verifyCrypt(plain: string, value: string): Promise<boolean> {
  if (isShaCrypt(value)) return verifyShaCrypt(plain, value);
  if (isBcrypt(value)) return verifyBcrypt(plain, value);
  return false;
}
