import { stringsEqual } from './constant-time.js';
import { decodeBase64, decodeHex } from './encoding.js';
import type { StoredEncoding } from './stored.js';

/** {PLAIN}/{CLEAR}: the password itself, optionally hex or base64 encoded (`{PLAIN.B64}`). */
export function verifyPlain(plain: string, value: string, encoding: StoredEncoding | undefined): boolean {
  const stored = encoding === undefined ? value : (encoding === 'HEX' ? decodeHex(value) : decodeBase64(value))?.toString('utf8');
  return stored !== undefined && stringsEqual(plain, stored);
}
