// SHA-256-crypt ($5$) and SHA-512-crypt ($6$), written from Ulrich Drepper's specification
// (https://www.akkadia.org/drepper/SHA-crypt.txt); step numbers below are the spec's.
// Written here rather than taken from unixcrypt 3.0.4, which computes a wrong hash whenever the
// password's length is a multiple of the digest size (a 64-byte password under $6$).
import { createHash, randomBytes } from 'node:crypto';
import { bytesEqual } from './constant-time.js';

export const CRYPT64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;
const SALT_MAX = 16;

type Triple = readonly [number, number, number];

interface Variant {
  digest: 'sha256' | 'sha512';
  size: number;
  /** Step 22: the digest bytes taken three at a time (most significant first) for each 4 characters. */
  groups: readonly Triple[];
  /** Step 22: the final short group, with -1 for a zero byte, and how many characters it yields. */
  tail: Triple;
  tailChars: number;
}

const VARIANTS: Record<'5' | '6', Variant> = {
  '5': {
    digest: 'sha256',
    size: 32,
    groups: [
      [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14],
      [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
    ],
    tail: [-1, 31, 30],
    tailChars: 3,
  },
  '6': {
    digest: 'sha512',
    size: 64,
    groups: [
      [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
      [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
      [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
    ],
    tail: [-1, -1, 63],
    tailChars: 2,
  },
};

/** Repeats `block` to fill `length` bytes (steps 16 and 20). */
function fill(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += block.length) block.copy(out, offset);
  return out;
}

function computeDigest(variant: Variant, key: Buffer, salt: Buffer, rounds: number): Buffer {
  const h = () => createHash(variant.digest);
  // Steps 4-8: digest B = H(key salt key).
  const b = h().update(key).update(salt).update(key).digest();
  // Steps 1-3, 9-12: digest A.
  const a = h().update(key).update(salt);
  let left = key.length;
  for (; left > variant.size; left -= variant.size) a.update(b);
  a.update(b.subarray(0, left));
  for (let bits = key.length; bits > 0; bits >>= 1) a.update(bits & 1 ? b : key);
  let digest = a.digest();
  // Steps 13-16: P, the key-derived byte string.
  const dp = h();
  for (let i = 0; i < key.length; i++) dp.update(key);
  const p = fill(dp.digest(), key.length);
  // Steps 17-20: S, the salt-derived byte string.
  const ds = h();
  for (let i = 0; i < 16 + (digest[0] ?? 0); i++) ds.update(salt);
  const s = fill(ds.digest(), salt.length);
  // Step 21: the rounds.
  for (let i = 0; i < rounds; i++) {
    const c = h();
    c.update(i & 1 ? p : digest);
    if (i % 3 !== 0) c.update(s);
    if (i % 7 !== 0) c.update(p);
    c.update(i & 1 ? digest : p);
    digest = c.digest();
  }
  return digest;
}

function encodeGroup(bytes: Buffer, [b2, b1, b0]: Triple, chars: number): string {
  const byte = (i: number) => (i < 0 ? 0 : (bytes[i] ?? 0));
  let w = (byte(b2) << 16) | (byte(b1) << 8) | byte(b0);
  let out = '';
  for (let i = 0; i < chars; i++, w >>= 6) out += CRYPT64[w & 63];
  return out;
}

function encodeDigest(variant: Variant, digest: Buffer): string {
  return variant.groups.map((g) => encodeGroup(digest, g, 4)).join('') + encodeGroup(digest, variant.tail, variant.tailChars);
}

// $id$[rounds=N$]salt$hash; the salt is at most 16 bytes and holds no '$' (spec: "The salt string").
const SHA_CRYPT = /^\$([56])\$(?:rounds=(\d{1,10})\$)?([^$]{0,16})\$([./0-9A-Za-z]+)$/;

/** True when the value looks like a `$5$`/`$6$` hash, so a caller can route it here. */
export function isShaCrypt(value: string): boolean {
  return value.startsWith('$5$') || value.startsWith('$6$');
}

export function verifyShaCrypt(plain: string, value: string): boolean {
  const match = SHA_CRYPT.exec(value);
  if (!match) return false;
  const [, id, roundsText, saltText, hashText] = match;
  if ((id !== '5' && id !== '6') || saltText === undefined || hashText === undefined) return false;
  const variant = VARIANTS[id];
  const expectedLength = variant.groups.length * 4 + variant.tailChars;
  if (hashText.length !== expectedLength) return false;
  // Spec: a rounds value outside [1000, 999999999] is clamped, not rejected.
  const rounds = roundsText === undefined ? ROUNDS_DEFAULT : Math.min(Math.max(Number(roundsText), ROUNDS_MIN), ROUNDS_MAX);
  const digest = computeDigest(variant, Buffer.from(plain, 'utf8'), Buffer.from(saltText, 'utf8'), rounds);
  return bytesEqual(Buffer.from(encodeDigest(variant, digest)), Buffer.from(hashText));
}

/** Hashes to `$6$<16 salt chars>$<86 chars>` with the default 5000 rounds, as Dovecot writes it. */
export function hashSha512Crypt(plain: string): string {
  const salt = Array.from(randomBytes(SALT_MAX), (byte) => CRYPT64[byte & 63]).join('');
  const variant = VARIANTS['6'];
  const digest = computeDigest(variant, Buffer.from(plain, 'utf8'), Buffer.from(salt), ROUNDS_DEFAULT);
  return `$6$${salt}$${encodeDigest(variant, digest)}`;
}
