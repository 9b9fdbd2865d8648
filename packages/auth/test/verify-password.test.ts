import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyPassword } from '../src/index.js';

const SHA512_CRYPT = '$6$Zq3kR9vT$df.dfHB8n4bFPsMvfBfHPaDsMo0Uqqgse9dSusLpRt8/uRMskujdBCR..u10ZnGwPtLpIQAtycfpKBI5SdSxs.';
const BLF_CRYPT = '$2y$05$2HnfXpkW/26VWj9kizvBxe7TfwCS/tS2nSGaewEhQaiYupvZaisXS';
const ARGON2ID = '$argon2id$v=19$m=65536,t=3,p=1$C/7WUdpNXPBu3P2bpNelgQ$WbCBVcpSMdSmx3tBMt0s4eOTVgHtlTXzx7sWKjwYqiQ';
const SCRYPT = '$scrypt$ln=14,r=8,p=1$jzocXnstT2CRo7XH2eHyAw$8UkH8D5wrNcC7zFU/+gsFFESpWgXAlU6Ho4UQmdmXHA';

describe('verifyPassword', () => {
  it('reads scheme names in any case', async () => {
    assert.equal(await verifyPassword('secret', `{sha512-crypt}${SHA512_CRYPT}`), true);
    assert.equal(await verifyPassword('secret', `{Blf-Crypt}${BLF_CRYPT}`), true);
    assert.equal(await verifyPassword('secret', `{argon2id}${ARGON2ID}`), true);
    assert.equal(await verifyPassword('secret', '{plain}secret'), true);
    assert.equal(await verifyPassword('secret', '{sha512.hex}bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761ced99e0f67265b5f76085e5b0ee7ca4696b2ad6fe2b2'), true);
  });

  it('accepts the bare forms import files carry, without a {SCHEME} prefix', async () => {
    assert.equal(await verifyPassword('secret', SHA512_CRYPT), true);
    assert.equal(await verifyPassword('secret', BLF_CRYPT), true);
    assert.equal(await verifyPassword('secret', ARGON2ID), true);
    assert.equal(await verifyPassword('secret', SCRYPT), true);
  });

  it('verifies MD5-crypt ($1$) from older Dovecot and /etc/shadow, as {CRYPT}, {MD5-CRYPT} or bare (openssl passwd -1 -salt saltsalt secret)', async () => {
    for (const stored of ['{CRYPT}$1$saltsalt$9xy1btjgzLYfb7hivXtC//', '{MD5-CRYPT}$1$saltsalt$9xy1btjgzLYfb7hivXtC//', '$1$saltsalt$9xy1btjgzLYfb7hivXtC//']) {
      assert.equal(await verifyPassword('secret', stored), true, stored);
      assert.equal(await verifyPassword('Secret', stored), false, stored);
    }
    assert.equal(await verifyPassword('', '$1$$LP5.V3ajGqHDdXW6XwZQy.'), false, 'an empty password never matches');
    assert.equal(await verifyPassword('x', '$1$$LP5.V3ajGqHDdXW6XwZQy.'), true, 'an empty salt (openssl passwd -1 -salt "" x)');
  });

  it('accepts {PLAIN.B64} and {PLAIN.HEX} as Dovecot encodes them', async () => {
    assert.equal(await verifyPassword('secret', '{PLAIN.B64}c2VjcmV0'), true);
    assert.equal(await verifyPassword('secret', '{PLAIN.HEX}736563726574'), true);
    assert.equal(await verifyPassword('secreT', '{PLAIN.HEX}736563726574'), false);
  });

  it('compares {PLAIN} exactly: no prefix, suffix or case match', async () => {
    assert.equal(await verifyPassword('secret', '{PLAIN}secret'), true);
    assert.equal(await verifyPassword('secre', '{PLAIN}secret'), false);
    assert.equal(await verifyPassword('secrets', '{PLAIN}secret'), false);
    assert.equal(await verifyPassword('SECRET', '{CLEAR}secret'), false);
  });

  it('never matches an empty password, even against an empty {PLAIN}', async () => {
    assert.equal(await verifyPassword('', '{PLAIN}'), false);
    assert.equal(await verifyPassword('', '{PLAIN}secret'), false);
  });

  const malformed: [string, string][] = [
    ['an empty stored value', ''],
    ['an unknown scheme', '{NOPE}x'],
    ['an unknown scheme spelling a real password', '{MD5}secret'],
    ['a bare string, which is never taken as plaintext', 'secret'],
    ['an unterminated prefix', '{SHA512-CRYPTsecret'],
    ['garbage after {SHA512-CRYPT}', '{SHA512-CRYPT}garbage'],
    ['{SHA512-CRYPT} with nothing after it', '{SHA512-CRYPT}'],
    ['a $6$ hash cut short', SHA512_CRYPT.slice(0, -1)],
    ['a $6$ hash with a character too many', `${SHA512_CRYPT}a`],
    ['a $6$ hash with a character outside crypt64', `${SHA512_CRYPT.slice(0, -1)}!`],
    ['a $6$ salt longer than 16 characters', '$6$0123456789abcdefg$df.dfHB8n4bFPsMvfBfHPaDsMo0Uqqgse9dSusLpRt8/uRMskujdBCR..u10ZnGwPtLpIQAtycfpKBI5SdSxs.'],
    // Real hashes of "secret" in crypt formats Postern does not support: they must fail closed.
    ['an MD5-crypt hash cut short', '{MD5-CRYPT}$1$saltsalt$9xy1btjgzLYfb7hivXtC/'],
    ['an MD5-crypt salt longer than 8 characters', '$1$saltsalts$9xy1btjgzLYfb7hivXtC//'],
    ['a DES-crypt hash (python3 crypt.crypt("secret", "ab"))', '{CRYPT}abNANd1rDfiNc'],
    ['a yescrypt hash (python3 crypt.crypt over libxcrypt)', '$y$j9T$F5Jx5fExrKuPp53xLKQ..1$GmcwIgvdUC9qLWcKCi6gklUa1dM3ziD43YxYNURLKy0'],
    ['bcrypt with cost 03', '$2y$03$2HnfXpkW/26VWj9kizvBxe7TfwCS/tS2nSGaewEhQaiYupvZaisXS'],
    ['bcrypt with cost 32', '$2y$32$2HnfXpkW/26VWj9kizvBxe7TfwCS/tS2nSGaewEhQaiYupvZaisXS'],
    ['bcrypt $2x$ (crypt_blowfish bug mode)', '$2x$05$2HnfXpkW/26VWj9kizvBxe7TfwCS/tS2nSGaewEhQaiYupvZaisXS'],
    ['a bcrypt hash cut short', `{BLF-CRYPT}${BLF_CRYPT.slice(0, -2)}`],
    ['argon2 version 16', '$argon2id$v=16$m=65536,t=3,p=1$C/7WUdpNXPBu3P2bpNelgQ$WbCBVcpSMdSmx3tBMt0s4eOTVgHtlTXzx7sWKjwYqiQ'],
    ['argon2 without a version', '$argon2id$m=65536,t=3,p=1$C/7WUdpNXPBu3P2bpNelgQ$WbCBVcpSMdSmx3tBMt0s4eOTVgHtlTXzx7sWKjwYqiQ'],
    ['argon2 with a parameter missing', '$argon2id$v=19$m=65536,t=3$C/7WUdpNXPBu3P2bpNelgQ$WbCBVcpSMdSmx3tBMt0s4eOTVgHtlTXzx7sWKjwYqiQ'],
    ['argon2 asking for 64 GiB', '$argon2id$v=19$m=67108864,t=3,p=1$C/7WUdpNXPBu3P2bpNelgQ$WbCBVcpSMdSmx3tBMt0s4eOTVgHtlTXzx7sWKjwYqiQ'],
    ['argon2 with a 4-byte salt', '$argon2id$v=19$m=65536,t=3,p=1$C/7WUQ$WbCBVcpSMdSmx3tBMt0s4eOTVgHtlTXzx7sWKjwYqiQ'],
    ['argon2d (not a Dovecot scheme)', '{ARGON2ID}$argon2d$v=19$m=65536,t=3,p=1$C/7WUdpNXPBu3P2bpNelgQ$WbCBVcpSMdSmx3tBMt0s4eOTVgHtlTXzx7sWKjwYqiQ'],
    ['scrypt asking for 1 GiB', '{SCRYPT}$scrypt$ln=20,r=8,p=1$jzocXnstT2CRo7XH2eHyAw$8UkH8D5wrNcC7zFU/+gsFFESpWgXAlU6Ho4UQmdmXHA'],
    ['scrypt with N = 2^0', '{SCRYPT}$scrypt$ln=0,r=8,p=1$jzocXnstT2CRo7XH2eHyAw$8UkH8D5wrNcC7zFU/+gsFFESpWgXAlU6Ho4UQmdmXHA'],
    ['scrypt with an extra parameter', '{SCRYPT}$scrypt$ln=14,r=8,p=1,x=1$jzocXnstT2CRo7XH2eHyAw$8UkH8D5wrNcC7zFU/+gsFFESpWgXAlU6Ho4UQmdmXHA'],
    ['scrypt with a repeated parameter', '{SCRYPT}$scrypt$ln=14,r=8,r=8$jzocXnstT2CRo7XH2eHyAw$8UkH8D5wrNcC7zFU/+gsFFESpWgXAlU6Ho4UQmdmXHA'],
    ['scrypt with a non-base64 salt', '{SCRYPT}$scrypt$ln=14,r=8,p=1$jzocXnst*2CRo7XH2eHyAw$8UkH8D5wrNcC7zFU/+gsFFESpWgXAlU6Ho4UQmdmXHA'],
    ['an argon2 value under {SCRYPT}', `{SCRYPT}${ARGON2ID}`],
    ['a scrypt value under {ARGON2ID}', `{ARGON2ID}${SCRYPT}`],
    ['an encoding suffix on a crypt scheme', `{SHA512-CRYPT.HEX}${SHA512_CRYPT}`],
    ['an unknown encoding suffix', '{SHA512.B32}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg=='],
    ['{SHA512} of the wrong length', '{SHA512}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols='],
    ['{SSHA512} with no salt', '{SSHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg=='],
    ['{SHA512} with characters outside base64', '{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/is*=='],
    ['{SHA512.HEX} with an odd digit count', '{SHA512.HEX}bd2b1'],
    ['{PLAIN.B64} that is not base64', '{PLAIN.B64}%%%'],
  ];
  for (const [what, stored] of malformed) {
    it(`returns false, without throwing, for ${what}`, async () => {
      assert.equal(await verifyPassword('secret', stored), false);
    });
  }

  it('returns false rather than throwing for values that are not strings', async () => {
    assert.equal(await verifyPassword('secret', undefined as unknown as string), false);
    assert.equal(await verifyPassword('secret', null as unknown as string), false);
    assert.equal(await verifyPassword(42 as unknown as string, '{PLAIN}42'), false);
  });
});
