import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PASSWORD_SCHEME, PASSWORD_SCHEMES, parseScheme } from '../src/index.js';

describe('parseScheme', () => {
  it('lists the schemes new passwords can use, SCRYPT first and default', () => {
    assert.deepEqual([...PASSWORD_SCHEMES], ['SCRYPT', 'ARGON2ID', 'SHA512-CRYPT', 'BLF-CRYPT', 'PLAIN']);
    assert.equal(DEFAULT_PASSWORD_SCHEME, 'SCRYPT');
  });

  it('reads every listed scheme in any case, and in braces', () => {
    for (const scheme of PASSWORD_SCHEMES) {
      assert.equal(parseScheme(scheme), scheme);
      assert.equal(parseScheme(scheme.toLowerCase()), scheme);
      assert.equal(parseScheme(`{${scheme}}`), scheme);
    }
    assert.equal(parseScheme(' blf-crypt '), 'BLF-CRYPT');
  });

  it('rejects an unknown name with one line that lists the schemes', () => {
    assert.throws(
      () => parseScheme('MD5'),
      (err: Error) => {
        assert.equal(err.message, 'unknown password scheme "MD5": use one of SCRYPT, ARGON2ID, SHA512-CRYPT, BLF-CRYPT, PLAIN');
        return true;
      },
    );
    assert.throws(() => parseScheme(''), /unknown password scheme "": use one of /);
  });

  it('says an import-only scheme is accepted in hashes but not written', () => {
    assert.throws(() => parseScheme('ssha512'), {
      message: 'password scheme SSHA512 is accepted in imported hashes but not used for new passwords: use one of SCRYPT, ARGON2ID, SHA512-CRYPT, BLF-CRYPT, PLAIN',
    });
  });
});
