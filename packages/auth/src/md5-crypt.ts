// MD5-crypt ($1$), Poul-Henning Kamp's FreeBSD crypt(3) algorithm, as older Dovecot and
// /etc/shadow files hold it ({MD5-CRYPT} or {CRYPT}$1$…). For verifying imported hashes only:
// a successful login rehashes the password to the default scheme (needsRehash).
import { createHash } from 'node:crypto';
import { stringsEqual } from './constant-time.js';
import { CRYPT64 } from './sha-crypt.js';

const MAGIC = '$1$';
const VALUE = /^\$1\$([^$]{0,8})\$([./0-9A-Za-z]{22})$/;

export function isMd5Crypt(value: string): boolean {
  return VALUE.test(value);
}

/** crypt(3)'s base-64 of `count` characters from the low bits of `v` first. */
function to64(v: number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++, v >>= 6) out += CRYPT64[v & 0x3f];
  return out;
}

export function md5Crypt(password: Buffer, salt: string): string {
  const saltBytes = Buffer.from(salt, 'latin1');
  const alternate = createHash('md5').update(password).update(saltBytes).update(password).digest();
  const context = createHash('md5').update(password).update(MAGIC).update(saltBytes);
  for (let left = password.length; left > 0; left -= 16) context.update(alternate.subarray(0, Math.min(left, 16)));
  // The original's quirk: a zero byte for each set bit of the length, the password's first byte for each clear one.
  for (let bits = password.length; bits > 0; bits >>= 1) context.update(bits & 1 ? Buffer.alloc(1) : password.subarray(0, 1));
  let final = context.digest();
  // 1000 rounds "to slow things down".
  for (let round = 0; round < 1000; round++) {
    const step = createHash('md5');
    step.update(round & 1 ? password : final);
    if (round % 3) step.update(saltBytes);
    if (round % 7) step.update(password);
    step.update(round & 1 ? final : password);
    final = step.digest();
  }
  const b = (i: number): number => final[i] ?? 0;
  let text = '';
  for (const [x, y, z] of [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]] as const) text += to64((b(x) << 16) | (b(y) << 8) | b(z), 4);
  text += to64(b(11), 2);
  return `${MAGIC}${salt}$${text}`;
}

export function verifyMd5Crypt(plain: string, value: string): boolean {
  const match = VALUE.exec(value);
  if (match === null) return false;
  return stringsEqual(md5Crypt(Buffer.from(plain, 'utf8'), match[1] ?? ''), value);
}
