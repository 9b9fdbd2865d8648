import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares two byte strings in time that depends only on their lengths, which are never secret here. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    // Spend the same work as a real comparison so a length mismatch is not a fast path.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Compares two strings without revealing where they differ or how long the secret one is. */
export function stringsEqual(a: string, b: string): boolean {
  // Digests have a fixed length, so the comparison leaks neither content nor length.
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
