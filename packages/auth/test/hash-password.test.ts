import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PasswordScheme } from '../src/index.js';
import { PASSWORD_SCHEMES, hashPassword, verifyPassword } from '../src/index.js';

const FORMATS: Record<PasswordScheme, RegExp> = {
  SCRYPT: /^\{SCRYPT\}\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
  ARGON2ID: /^\{ARGON2ID\}\$argon2id\$v=19\$m=65536,t=3,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
  'SHA512-CRYPT': /^\{SHA512-CRYPT\}\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/,
  'BLF-CRYPT': /^\{BLF-CRYPT\}\$2y\$10\$[./A-Za-z0-9]{53}$/,
  PLAIN: /^\{PLAIN\}correct horse$/,
};

describe('hashPassword', () => {
  it('uses SCRYPT with N=2^15, r=8, p=1, a 16-byte salt and a 32-byte key by default', async () => {
    assert.match(await hashPassword('correct horse'), FORMATS.SCRYPT);
  });

  for (const scheme of PASSWORD_SCHEMES) {
    it(`writes ${scheme} in the form Dovecot stores it, and the hash verifies`, async () => {
      const stored = await hashPassword('correct horse', scheme);
      assert.match(stored, FORMATS[scheme]);
      assert.equal(await verifyPassword('correct horse', stored), true);
    });

    it(`rejects a wrong password against a fresh ${scheme} hash`, async () => {
      const stored = await hashPassword('correct horse', scheme);
      assert.equal(await verifyPassword('correct horsf', stored), false);
      assert.equal(await verifyPassword('Correct horse', stored), false);
      assert.equal(await verifyPassword('correct horse ', stored), false);
    });
  }

  for (const scheme of PASSWORD_SCHEMES.filter((s) => s !== 'PLAIN')) {
    it(`never yields the same ${scheme} hash twice for one password (random salt)`, async () => {
      const first = await hashPassword('same password', scheme);
      const second = await hashPassword('same password', scheme);
      assert.notEqual(first, second);
      assert.equal(await verifyPassword('same password', second), true);
    });
  }

  it('gives 20 distinct default hashes for one password', async () => {
    const hashes = await Promise.all(Array.from({ length: 20 }, () => hashPassword('same password')));
    assert.equal(new Set(hashes).size, 20);
  });

  it('round-trips a UTF-8 password, a 64-byte password and a 200-byte password in every scheme', async () => {
    const passwords = ['pässwörd✓ 密码', 'p'.repeat(64), 'q'.repeat(200)];
    for (const scheme of PASSWORD_SCHEMES) {
      for (const password of passwords) {
        // bcrypt keys on 72 bytes at most, so BLF-CRYPT refuses longer passwords (tested below).
        if (scheme === 'BLF-CRYPT' && Buffer.byteLength(password) > 72) continue;
        const stored = await hashPassword(password, scheme);
        assert.equal(await verifyPassword(password, stored), true, `${scheme} / ${password.length} chars`);
      }
    }
  });

  it('refuses to write a BLF-CRYPT hash that would silently ignore the end of the password', async () => {
    await assert.rejects(hashPassword('z'.repeat(73), 'BLF-CRYPT'), /first 72 bytes.*use SCRYPT/);
  });

  it('refuses an empty password with a message saying so', async () => {
    await assert.rejects(hashPassword(''), /empty password/);
  });

  it('refuses an unknown scheme from a JavaScript caller with the list of schemes', async () => {
    await assert.rejects(hashPassword('secret', 'MD5' as PasswordScheme), /unknown password scheme "MD5": use one of SCRYPT, /);
  });

  it('leaves the event loop free while an SCRYPT hash is computed', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await hashPassword('correct horse');
    clearInterval(timer);
    assert.ok(ticks > 0, 'the event loop ran timers while scrypt worked in the threadpool');
  });
});
