import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, needsRehash } from '../src/index.js';

describe('needsRehash', () => {
  it('is false for a hash hashPassword writes today', async () => {
    assert.equal(needsRehash(await hashPassword('secret')), false);
  });

  it('is false for the same SCRYPT hash without its {SCRYPT} prefix or in lower case', async () => {
    const stored = await hashPassword('secret');
    assert.equal(needsRehash(stored.slice('{SCRYPT}'.length)), false);
    assert.equal(needsRehash(stored.replace('{SCRYPT}', '{scrypt}')), false);
  });

  it('is true for SCRYPT at a lower cost (N = 2^14)', () => {
    assert.equal(needsRehash('{SCRYPT}$scrypt$ln=14,r=8,p=1$jzocXnstT2CRo7XH2eHyAw$8UkH8D5wrNcC7zFU/+gsFFESpWgXAlU6Ho4UQmdmXHA'), true);
  });

  it('is true for SCRYPT with a short salt or key', () => {
    // 8-byte salt, then a 16-byte key.
    assert.equal(needsRehash('{SCRYPT}$scrypt$ln=15,r=8,p=1$jzocXnstT2A$KkafXYnpa0MVRMbiK2VxZRmbD0IB3YIDwmWwAI56UCo'), true);
    assert.equal(needsRehash('{SCRYPT}$scrypt$ln=15,r=8,p=1$jzocXnstT2CRo7XH2eHyAw$KkafXYnpa0MVRMbiK2VxZQ'), true);
  });

  for (const scheme of ['ARGON2ID', 'SHA512-CRYPT', 'BLF-CRYPT', 'PLAIN'] as const) {
    it(`is true for a fresh ${scheme} hash, so login upgrades it`, async () => {
      assert.equal(needsRehash(await hashPassword('secret', scheme)), true);
    });
  }

  it('is true for Dovecot imports and for values it cannot read', () => {
    assert.equal(needsRehash('{SHA512-CRYPT}$6$RFqREAWFq.U1AID2$GicctdB7wXhq5dlvA8xOBzWLwpiYCsogaozj5XXoS2ffrhIs/TDdkHIdCsfuibxB6saCEe9oW361DvrUouCcf0'), true);
    assert.equal(needsRehash('{SSHA256}rJgWiPgddoG2cIfHYCECMXIpoxPioYWi33QNMvPKg9j/dh/E'), true);
    assert.equal(needsRehash('{SCRYPT}garbage'), true);
    assert.equal(needsRehash('{NOPE}x'), true);
    assert.equal(needsRehash(''), true);
  });
});
