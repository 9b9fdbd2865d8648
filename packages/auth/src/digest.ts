// Dovecot's plain-digest schemes: {SHA256}/{SHA512} are H(password), {SSHA256}/{SSHA512} are
// H(password || salt) || salt; both base64 by default, hex with a `.HEX` suffix.
import { createHash } from 'node:crypto';
import { bytesEqual } from './constant-time.js';
import { decodeBase64, decodeHex } from './encoding.js';
import type { StoredEncoding } from './stored.js';

export type DigestScheme = 'SHA256' | 'SHA512' | 'SSHA256' | 'SSHA512';

const ALGORITHM = { SHA256: 'sha256', SSHA256: 'sha256', SHA512: 'sha512', SSHA512: 'sha512' } as const;
const SIZE = { sha256: 32, sha512: 64 } as const;

function isSalted(scheme: DigestScheme): boolean {
  return scheme === 'SSHA256' || scheme === 'SSHA512';
}

function decode(scheme: DigestScheme, value: string, encoding: StoredEncoding | undefined): Buffer | null {
  if (encoding === 'HEX') return decodeHex(value);
  if (encoding === 'BASE64') return decodeBase64(value);
  // Like Dovecot, an unsalted digest of exactly twice its size in hex digits is read as hex.
  const size = SIZE[ALGORITHM[scheme]];
  if (isSalted(scheme) || value.length !== size * 2) return decodeBase64(value);
  return decodeHex(value) ?? decodeBase64(value);
}

export function verifyDigest(scheme: DigestScheme, plain: string, value: string, encoding: StoredEncoding | undefined): boolean {
  const algorithm = ALGORITHM[scheme];
  const size = SIZE[algorithm];
  const raw = decode(scheme, value, encoding);
  if (raw === null) return false;
  if (isSalted(scheme) ? raw.length <= size : raw.length !== size) return false;
  const expected = raw.subarray(0, size);
  const salt = raw.subarray(size);
  const computed = createHash(algorithm).update(plain, 'utf8').update(salt).digest();
  return bytesEqual(computed, expected);
}
