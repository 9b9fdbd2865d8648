// Hashes Postern writes, checked by the tools that will meet them: Dovecot's doveadm (a server
// migrating back or sharing a passdb), OpenSSL, and Python's hashlib for the PHC scrypt form.
// A tool that is not installed makes its test skip with the reason shown, never pass; under CI
// (where .ci/run installs them) a missing tool fails the test instead.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { PasswordScheme } from '../src/index.js';
import { hashPassword, verifyPassword } from '../src/index.js';

function installed(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
}

const skipUnless = (tool: string) => (installed(tool) || process.env.CI ? false : `${tool} is not installed`);

const PASSWORDS = ['correct horse', 'pässwörd✓', 'p'.repeat(64)];

describe('hashes Postern writes, verified by other tools', () => {
  for (const scheme of ['SHA512-CRYPT', 'BLF-CRYPT', 'ARGON2ID', 'PLAIN'] as PasswordScheme[]) {
    it(`doveadm pw -t accepts Postern's ${scheme} hashes and refuses a wrong password`, { skip: skipUnless('doveadm') }, async () => {
      for (const password of PASSWORDS) {
        const stored = await hashPassword(password, scheme);
        const good = spawnSync('doveadm', ['pw', '-t', stored, '-p', password], { encoding: 'utf8' });
        assert.equal(good.status, 0, `doveadm rejected ${scheme}: ${good.stderr}`);
        assert.match(good.stdout, /\(verified\)/);
        const bad = spawnSync('doveadm', ['pw', '-t', stored, '-p', `${password}!`], { encoding: 'utf8' });
        assert.notEqual(bad.status, 0);
      }
    });
  }

  it('openssl passwd -6 computes the same SHA512-CRYPT hash from the same salt', { skip: skipUnless('openssl') }, async () => {
    for (const password of PASSWORDS) {
      const stored = (await hashPassword(password, 'SHA512-CRYPT')).slice('{SHA512-CRYPT}'.length);
      const salt = stored.split('$')[2] ?? '';
      const openssl = spawnSync('openssl', ['passwd', '-6', '-salt', salt, password], { encoding: 'utf8' });
      assert.equal(openssl.status, 0, openssl.stderr);
      assert.equal(openssl.stdout.trim(), stored);
    }
  });

  it('verifies the MD5-crypt hashes openssl passwd -1 makes (imported from older Dovecot installs)', { skip: skipUnless('openssl') }, async () => {
    for (const [index, password] of PASSWORDS.entries()) {
      const openssl = spawnSync('openssl', ['passwd', '-1', '-salt', `s${index}lt`.slice(0, 8), password], { encoding: 'utf8' });
      assert.equal(openssl.status, 0, openssl.stderr);
      const stored = openssl.stdout.trim();
      assert.equal(await verifyPassword(password, `{CRYPT}${stored}`), true, `${JSON.stringify(password)}: ${stored}`);
      assert.equal(await verifyPassword(`${password}x`, `{CRYPT}${stored}`), false);
    }
  });

  it("python3's hashlib.scrypt derives the same key from a default SCRYPT hash", { skip: skipUnless('python3') }, async () => {
    const script = [
      'import base64, hashlib, re, sys',
      'pw, stored = sys.argv[1], sys.argv[2]',
      String.raw`m = re.fullmatch(r'\{SCRYPT\}\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([^$]+)\$([^$]+)', stored)`,
      "b64 = lambda s: base64.b64decode(s + '=' * (-len(s) % 4))",
      'ln, r, p = (int(m.group(i)) for i in (1, 2, 3))',
      'key = hashlib.scrypt(pw.encode(), salt=b64(m.group(4)), n=2**ln, r=r, p=p, dklen=len(b64(m.group(5))), maxmem=2**26)',
      "print('match' if key == b64(m.group(5)) else 'mismatch')",
    ].join('\n');
    for (const password of PASSWORDS) {
      const stored = await hashPassword(password);
      const python = spawnSync('python3', ['-c', script, password, stored], { encoding: 'utf8' });
      assert.equal(python.status, 0, python.stderr);
      assert.equal(python.stdout.trim(), 'match');
    }
  });
});
