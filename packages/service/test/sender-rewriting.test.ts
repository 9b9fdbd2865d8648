// [srs] at start over a real SQLite store: the secret file made once (0600, random), shared by
// every process that starts with it; configured secrets; SRS off by choice or for want of a key.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '@postern/config';
import { openStore, type Store } from '@postern/store';
import { senderRewritingFor, SRS_SECRET_FILE } from '../src/index.js';
import { capturingLogger } from './capturing-logger.js';

let dir: string;
let store: Store;

function config(dataDir: string, srs = '') {
  return parseConfigText(`hostname = "mail.example.com"\ndata_dir = ${JSON.stringify(dataDir)}\n[srs]\n${srs}\n`, join(dir, 'postern.toml'));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postern-srs-'));
  store = await openStore({ backend: 'sqlite', path: join(dir, 'store.sqlite') });
  await store.addDomain('example.com');
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('senderRewritingFor', () => {
  it('makes data_dir/srs.secret at the first start (mode 0600, 32 random bytes), and a second process uses the same key', async () => {
    const dataDir = join(dir, 'first');
    const { logger, lines } = capturingLogger();
    const first = senderRewritingFor(config(dataDir), store, logger);
    assert.ok(first);
    const file = join(dataDir, SRS_SECRET_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 32);
    assert.ok(lines.some((line) => line['event'] === 'srs_secret_created'));
    const rewritten = await first.forwardSender('news@remote.test');
    assert.match(rewritten, /^SRS0=[^=]{4}=[A-Z2-7]{2}=remote\.test=news@example\.com$/);
    const second = senderRewritingFor(config(dataDir), store, capturingLogger().logger);
    assert.deepEqual(await second!.reverse(rewritten), { kind: 'reversed', address: 'news@remote.test' });
    const other = senderRewritingFor(config(join(dir, 'other')), store, capturingLogger().logger);
    assert.equal((await other!.reverse(rewritten)).kind, 'refused', 'another server\'s random key does not verify ours');
  });

  it('reads a secret_file of several keys: the first signs, each verifies (a rotation), comments skipped', async () => {
    const file = join(dir, 'keys', 'srs.keys');
    mkdirSync(join(dir, 'keys'));
    writeFileSync(file, '# new key first\nthe new key of this server\nthe old key of this server\n');
    const old = senderRewritingFor(config(join(dir, 'unused'), 'secrets = ["the old key of this server"]'), store, capturingLogger().logger)!;
    const rotated = senderRewritingFor(config(join(dir, 'unused'), `secret_file = ${JSON.stringify(file)}`), store, capturingLogger().logger)!;
    const before = await old.forwardSender('news@remote.test');
    assert.equal((await rotated.reverse(before)).kind, 'reversed');
    const after = await rotated.forwardSender('news@remote.test');
    assert.notEqual(after.split('=')[1], before.split('=')[1], 'signed with the new key');
    assert.equal(existsSync(join(dir, 'unused', SRS_SECRET_FILE)), false, 'configured secrets need no file');
  });

  it('is off with srs.enabled = false, and off with a warning when no secret can be made unless enabled = true, which stops the start', () => {
    assert.equal(senderRewritingFor(config(join(dir, 'off'), 'enabled = false'), store, capturingLogger().logger), null);
    assert.equal(existsSync(join(dir, 'off', SRS_SECRET_FILE)), false);
    // A data_dir below a regular file: no process, root included, can make the secret there.
    const locked = join(dir, 'a-file', 'data');
    writeFileSync(join(dir, 'a-file'), '');
    const { logger, lines } = capturingLogger();
    assert.equal(senderRewritingFor(config(locked), store, logger), null);
    assert.ok(lines.some((line) => line['event'] === 'srs_disabled' && /cannot be read or created/.test(String(line['msg']))));
    assert.throws(() => senderRewritingFor(config(locked, 'enabled = true'), store, capturingLogger().logger), /SRS secret .* cannot be read or created/);
  });
});
