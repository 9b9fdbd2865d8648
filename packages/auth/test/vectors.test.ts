// Fixed hashes produced by real tools on Debian 12 (OpenSSL 3.0.19, Python 3 `crypt` over
// glibc/libxcrypt, Dovecot 2.3.19.1's doveadm, Python's hashlib.scrypt), pasted here so the
// test needs none of them: Postern must accept exactly what those tools wrote.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyPassword } from '../src/index.js';

// 64 bytes: a multiple of SHA-512's digest size, the case unixcrypt 3.0.4 gets wrong.
const P64 = 'Tr0ub4dor&3-correct-horse-battery-staple-0123456789abcdefghijklm';
const P65 = `${P64}n`;
// 32 bytes: a multiple of SHA-256's digest size.
const P32 = 'correct-horse-battery-staple-32b';
// 13 bytes of UTF-8; every tool hashes the UTF-8 bytes.
const PU = 'pässwörd✓';
const X128 = 'x'.repeat(128);
const A80 = 'a'.repeat(80);

interface Vector {
  tool: string;
  password: string;
  stored: string;
}

const VECTORS: Vector[] = [
  // openssl passwd (OpenSSL 3.0.19)
  {
    tool: 'openssl passwd -6 -salt Zq3kR9vT secret',
    password: 'secret',
    stored: '$6$Zq3kR9vT$df.dfHB8n4bFPsMvfBfHPaDsMo0Uqqgse9dSusLpRt8/uRMskujdBCR..u10ZnGwPtLpIQAtycfpKBI5SdSxs.',
  },
  {
    tool: 'openssl passwd -5 -salt Zq3kR9vT secret',
    password: 'secret',
    stored: '$5$Zq3kR9vT$7UybNc9YbqOVgavT7QBYolxGwrpFmCl9gIKquXOie73',
  },
  {
    tool: 'openssl passwd -6 -salt pQ7wE2rT5yU8iO1a "$P64"',
    password: P64,
    stored: '$6$pQ7wE2rT5yU8iO1a$/7H9GllHFwZGbU7UGfHWhkqECWeHk858e/zq8xj/S7483S0KIPWGYMl4isxjEsDzFRrX3z8Ua/NgCUgMwWk/4.',
  },
  {
    tool: 'openssl passwd -6 -salt pQ7wE2rT5yU8iO1a "$P65"',
    password: P65,
    stored: '$6$pQ7wE2rT5yU8iO1a$i1w/5ZTfJaWJvYjQWlbDcLI9wpnZIyZ9mnRK0ogb7BuIpwSykZEWNlIp2x585QNWgpS9mF6IBAJuy3SlLJ8TM.',
  },
  {
    tool: 'openssl passwd -5 -salt pQ7wE2rT5yU8iO1a "$P32"',
    password: P32,
    stored: '$5$pQ7wE2rT5yU8iO1a$8ybYhIwnTfCIumsikgnbh4kSDHRwjQjqInEq70xH0j6',
  },
  {
    tool: 'openssl passwd -6 -salt Ut8fWq1s "$PU"',
    password: PU,
    stored: '$6$Ut8fWq1s$ndC3q394Un3GYKkEYj4iEggybRdSE7s4tnWEx4MvrNTKquJepz2dlgLyQkBw7aiegBcOzcqcLmcz.xcAJdo3I/',
  },
  {
    tool: 'openssl passwd -6 -salt Lw9dKe2p "$X128"',
    password: X128,
    stored: '$6$Lw9dKe2p$SCYNZB11q0rkrGH7EMiqeBiKm/kfMVNztvQGqPa2GIEKtz1PsEdtroFIDSoRToGCUAnMN56OU4HznjIl9Or2z1',
  },
  // Python 3 crypt.crypt(password, setting) over the system's libcrypt
  {
    tool: "crypt.crypt('secret', '$6$rounds=10000$Hx8bN2mQ')",
    password: 'secret',
    stored: '$6$rounds=10000$Hx8bN2mQ$/FqQts9SXq.lzYpT3YhMkroskI7RaMrV7DqriO4u6rBQ1PbKVO3GQ0it5qGN.CLqFbMgPFnLTJEJYx9YYGCOK0',
  },
  {
    tool: "crypt.crypt('secret', '$5$rounds=2000$Hx8bN2mQ')",
    password: 'secret',
    stored: '$5$rounds=2000$Hx8bN2mQ$jeCgJWuvKAE1O1TcWS8MgyB6Yn85wCNuJqVACjkRc/6',
  },
  {
    tool: "crypt.crypt('secret', '$2b$10$LvGfQzYkR3nTpW8xJcAe1O')",
    password: 'secret',
    stored: '$2b$10$LvGfQzYkR3nTpW8xJcAe1OD8r16b4Haoxh1W6GS1XkG7oQU4HlT26',
  },
  {
    tool: "crypt.crypt('secret', '$2a$06$k2B9mXqTzR4vLcN7pWs8Qe')",
    password: 'secret',
    stored: '$2a$06$k2B9mXqTzR4vLcN7pWs8QeP11mSTnKu4KiGkVIamT3E0SYmLR9jgW',
  },
  {
    tool: "crypt.crypt('a' * 80, '$2b$05$Mt5rK8wQz2YpL9vN3cX6Ju')",
    password: A80,
    stored: '$2b$05$Mt5rK8wQz2YpL9vN3cX6JudFRf5UFTbqE5NTUgLkfOxbP9ufugsrq',
  },
  {
    // libcrypt rewrote the salt's last character (…U4i → …U4e): it carries 4 unused bits.
    tool: "crypt.crypt('pässwörd✓', '$2y$05$Xo3nB7vC1mQ9wE5rT2yU4i')",
    password: PU,
    stored: '$2y$05$Xo3nB7vC1mQ9wE5rT2yU4e05Aim74ngtYMDHhqyBr6CM08MeiGrkC',
  },
  // doveadm pw (Dovecot 2.3.19.1): doveadm pw -s SCHEME -p PASSWORD
  {
    tool: 'doveadm pw -s SHA512-CRYPT -p secret',
    password: 'secret',
    stored: '{SHA512-CRYPT}$6$RFqREAWFq.U1AID2$GicctdB7wXhq5dlvA8xOBzWLwpiYCsogaozj5XXoS2ffrhIs/TDdkHIdCsfuibxB6saCEe9oW361DvrUouCcf0',
  },
  {
    tool: 'doveadm pw -s SHA512-CRYPT -p "$P64"',
    password: P64,
    stored: '{SHA512-CRYPT}$6$38w5PZy8mgsudzFR$YqQrwzPwO3t9O5iFon6psJrDSXPsKwunK7K3xXvICP7dQDM5r5mHLNKUsEY0db215dekm4nkEAqOMXBnh3rrO1',
  },
  {
    tool: 'doveadm pw -s SHA512-CRYPT -p "$P65"',
    password: P65,
    stored: '{SHA512-CRYPT}$6$GbHWxfL9CuAa0svm$0kz.Uuq8b3k5oLHJVcZB96itZb0uhaT.M6fSbaXMxZAgVpXqhoLV5.d8V/JeiGIk4aU3gc/Z3pMqdIcWgc192.',
  },
  {
    tool: 'doveadm pw -s SHA256-CRYPT -p secret',
    password: 'secret',
    stored: '{SHA256-CRYPT}$5$RfNKL0if5ceynmNI$IL6BQwPwhZulJs9frWrd2KTjst2hmnEK8/wrzcCcRZ4',
  },
  {
    tool: 'doveadm pw -s BLF-CRYPT -p secret',
    password: 'secret',
    stored: '{BLF-CRYPT}$2y$05$2HnfXpkW/26VWj9kizvBxe7TfwCS/tS2nSGaewEhQaiYupvZaisXS',
  },
  {
    tool: 'doveadm pw -s BLF-CRYPT -r 10 -p secret',
    password: 'secret',
    stored: '{BLF-CRYPT}$2y$10$x.k39QomldkcowUkInN2XuLgGbzd9Nb4ARQDfoHS2H/Bfmy43E1Ru',
  },
  {
    tool: 'doveadm pw -s CRYPT -p secret',
    password: 'secret',
    stored: '{CRYPT}$2y$05$ICHumg52vDcf.ge3KSBnjewnezvu/uGQRhgzXymaI2Qy/tp0VYu02',
  },
  {
    tool: 'doveadm pw -s ARGON2ID -p secret',
    password: 'secret',
    stored: '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$C/7WUdpNXPBu3P2bpNelgQ$WbCBVcpSMdSmx3tBMt0s4eOTVgHtlTXzx7sWKjwYqiQ',
  },
  {
    tool: 'doveadm pw -s ARGON2ID -p "$PU"',
    password: PU,
    stored: '{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$K8oXRHiP5EOSqD/3iCRvgg$Z8UlBpUKOSsKeyW7/gLDDgJgR/7SDg553K4WJOuOCnA',
  },
  {
    tool: 'doveadm pw -s ARGON2I -p secret',
    password: 'secret',
    stored: '{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$H7eaIDZTtBPcNc0M+yNbxw$DbFSBHsGXDGPuFkjrZqX2MKUPl66JBts3T+qWSu/wgU',
  },
  {
    tool: 'doveadm pw -s SSHA512 -p secret',
    password: 'secret',
    stored: '{SSHA512}VBwzjlo2bQUMI4YmuTWeczaMHsLHOZBOxfB/wW3cd7a50hKYpp/zk6PesDf2CWw5f6uj+S2DUv7V5hVQC5TKgb6ezXw=',
  },
  {
    tool: 'doveadm pw -s SSHA512 -p "$PU"',
    password: PU,
    stored: '{SSHA512}CefaKa8HFGAQvt2C3l3Zn7ZImut+m/tmmTem8vQAXLI4zGy9S6TDyXAAKSnqdt9PZh7BqwMquKNRuL9BtVwRHoE4Mqs=',
  },
  {
    tool: 'doveadm pw -s SHA512 -p secret',
    password: 'secret',
    stored: '{SHA512}vSsar3708Jvp9Szi2NWZZ02Bqp1qRCFpbcTZPdBhnWgs5WtNZKnvCXdhztmeD2cmW192CF5bDufKRpayrW/isg==',
  },
  {
    tool: 'doveadm pw -s SHA512.HEX -p secret',
    password: 'secret',
    stored:
      '{SHA512.HEX}bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761ced99e0f67265b5f76085e5b0ee7ca4696b2ad6fe2b2',
  },
  {
    tool: 'doveadm pw -s SSHA256 -p secret',
    password: 'secret',
    stored: '{SSHA256}rJgWiPgddoG2cIfHYCECMXIpoxPioYWi33QNMvPKg9j/dh/E',
  },
  {
    tool: 'doveadm pw -s SHA256 -p secret',
    password: 'secret',
    stored: '{SHA256}K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=',
  },
  { tool: 'doveadm pw -s PLAIN -p secret', password: 'secret', stored: '{PLAIN}secret' },
  { tool: 'doveadm pw -s CLEAR -p secret', password: 'secret', stored: '{CLEAR}secret' },
  // Python 3 hashlib.scrypt(b'secret', salt=bytes.fromhex('8f3a1c5e7b2d4f6091a3b5c7d9e1f203'),
  // n=2**LN, r=8, p=1, dklen=32), salt and key written as unpadded standard base64.
  {
    tool: 'python3 hashlib.scrypt, n=2**15, r=8, p=1',
    password: 'secret',
    stored: '{SCRYPT}$scrypt$ln=15,r=8,p=1$jzocXnstT2CRo7XH2eHyAw$KkafXYnpa0MVRMbiK2VxZRmbD0IB3YIDwmWwAI56UCo',
  },
  {
    tool: 'python3 hashlib.scrypt, n=2**14, r=8, p=1',
    password: 'secret',
    stored: '{SCRYPT}$scrypt$ln=14,r=8,p=1$jzocXnstT2CRo7XH2eHyAw$8UkH8D5wrNcC7zFU/+gsFFESpWgXAlU6Ho4UQmdmXHA',
  },
];

/** A near miss: same length, first character changed (bcrypt never sees past byte 72). */
function nearMiss(password: string): string {
  const first = password.startsWith('x') ? 'y' : 'x';
  return first + password.slice(1);
}

describe('hashes written by real tools', () => {
  for (const { tool, password, stored } of VECTORS) {
    it(`accepts the right password for \`${tool}\``, async () => {
      assert.equal(await verifyPassword(password, stored), true);
    });
    it(`rejects a near-miss password for \`${tool}\``, async () => {
      assert.equal(await verifyPassword(nearMiss(password), stored), false);
    });
  }

  it('accepts a bcrypt hash for the first 72 bytes of a longer password, as bcrypt defines', async () => {
    const stored = '$2b$05$Mt5rK8wQz2YpL9vN3cX6JudFRf5UFTbqE5NTUgLkfOxbP9ufugsrq';
    assert.equal(await verifyPassword('a'.repeat(72), stored), true);
    assert.equal(await verifyPassword('a'.repeat(71), stored), false);
  });

  it('reads an unsalted {SHA512} digest given in hex without the .HEX suffix, as Dovecot does', async () => {
    const hex =
      'bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761ced99e0f67265b5f76085e5b0ee7ca4696b2ad6fe2b2';
    assert.equal(await verifyPassword('secret', `{SHA512}${hex}`), true);
  });

  it('takes a *-CRYPT prefix over any crypt value, as Dovecot hands them all to crypt(3)', async () => {
    const sha256 = '$5$Zq3kR9vT$7UybNc9YbqOVgavT7QBYolxGwrpFmCl9gIKquXOie73';
    assert.equal(await verifyPassword('secret', `{SHA512-CRYPT}${sha256}`), true);
    assert.equal(await verifyPassword('secret', `{CRYPT}${sha256}`), true);
  });
});
