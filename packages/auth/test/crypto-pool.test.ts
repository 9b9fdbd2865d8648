// Hashing off the event loop: the CPU-bound schemes run in worker threads (the built dist/ worker).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, verifyPassword } from '../src/index.js';

/** Counts timer ticks while `work` runs: a blocked event loop gets none. */
async function ticksDuring<T>(work: () => Promise<T>): Promise<{ result: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const result = await work();
    return { result, ticks };
  } finally {
    clearInterval(timer);
  }
}

describe('password work off the event loop', () => {
  for (const scheme of ['ARGON2ID', 'BLF-CRYPT', 'SHA512-CRYPT', 'SCRYPT'] as const) {
    it(`keeps the event loop running while a ${scheme} hash is verified`, async () => {
      const stored = await hashPassword('correct horse', scheme);
      // Several at once, as when many clients log in together: the loop still turns between them.
      const { result, ticks } = await ticksDuring(() => Promise.all(Array.from({ length: 4 }, (_, i) => verifyPassword(i === 0 ? 'correct horse' : 'wrong', stored))));
      assert.deepEqual(result, [true, false, false, false]);
      assert.ok(ticks >= 10, `the event loop ran ${ticks} timer ticks during four ${scheme} verifications`);
    });
  }

  it('hashes and verifies many passwords at once through the pool, each answer going to its caller', async () => {
    const passwords = Array.from({ length: 8 }, (_, i) => `password number ${i}`);
    const hashes = await Promise.all(passwords.map((p) => hashPassword(p, 'SHA512-CRYPT')));
    const checks = await Promise.all(hashes.flatMap((h, i) => [verifyPassword(passwords[i]!, h), verifyPassword(passwords[(i + 1) % 8]!, h)]));
    assert.deepEqual(checks, passwords.flatMap(() => [true, false]));
  });
});
