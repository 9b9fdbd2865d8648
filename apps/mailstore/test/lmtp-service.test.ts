// The LMTP listener's life: unix sockets, clean shutdown around an in-flight delivery, store failures.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addDomain, addUser } from '@postern/directory';
import { createLogger } from '@postern/log';
import type { Store } from '@postern/store';
import { createContext } from '../src/context.js';
import { startLmtp } from '../src/lmtp/index.js';
import { LmtpClient, sampleMessage } from './lmtp-client.js';
import { BACKENDS, startBackend, type Backend } from './fixture.js';
import { lmtpConfig, runLmtp } from './lmtp-fixture.js';

async function seeded(backend: Backend): Promise<Store> {
  const store = await backend.open();
  await addDomain(store, 'example.com');
  await addUser(store, { address: 'alice@example.com', passwordHash: '{PLAIN}x' });
  return store;
}

async function inboxCount(store: Store, address: string): Promise<number> {
  const user = await store.getUser(address);
  const inbox = user ? await store.getMailbox(user.id, 'INBOX') : null;
  return inbox ? store.countMessages(inbox.id) : 0;
}

const silent = createLogger({ level: 'silent' });

describe('LMTP listener', () => {
  it('refuses to start with implicit TLS', async () => {
    const ctx = createContext(lmtpConfig(), null as unknown as Store, silent);
    await assert.rejects(startLmtp(ctx, { kind: 'tcp', host: '127.0.0.1', port: 1 }, { implicitTls: true }), /LMTP has no TLS/);
  });
});

for (const backendName of BACKENDS) {
  describe(`LMTP service on ${backendName}`, () => {
    let backend: Backend;
    let dir: string;

    before(async () => {
      backend = await startBackend(backendName);
      dir = mkdtempSync(join(tmpdir(), 'postern-lmtp-service-'));
    });
    after(async () => {
      await backend?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('listens on a unix socket, replacing a stale socket file left by a dead process, and removes it on close', async () => {
      const path = join(dir, `lmtp-${backendName}.sock`);
      // A process that exits without closing its listener leaves the socket file behind.
      const dead = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`]);
      assert.equal(dead.status, 0);
      assert.ok(lstatSync(path).isSocket(), 'stale socket file is there');
      const store = await seeded(backend);
      const lmtp = await runLmtp(store, lmtpConfig(), { kind: 'unix', path });
      try {
        assert.equal(lmtp.service.description, `lmtp on unix:${path}`);
        const { client, greeting } = await LmtpClient.open(lmtp.target);
        assert.equal(greeting.code, 220);
        await client.lhlo();
        const { data } = await client.send('sender@remote.example', ['alice@example.com'], sampleMessage());
        assert.deepEqual(data.map((r) => r.code), [250]);
        await client.quit();
        assert.equal(await inboxCount(store, 'alice@example.com'), 1);
      } finally {
        await lmtp.service.close();
        await store.close();
      }
      assert.ok(!existsSync(path), 'socket file removed on close');
    });

    it('on close, answers an in-flight delivery before closing, sends 421 to idle sessions, and accepts no new ones', async () => {
      const store = await seeded(backend);
      const lmtp = await runLmtp(store);
      const { client: idle } = await LmtpClient.open(lmtp.target);
      await idle.lhlo();
      const { client: busy } = await LmtpClient.open(lmtp.target);
      await busy.lhlo();
      await busy.command('MAIL FROM:<sender@remote.example>');
      await busy.command('RCPT TO:<alice@example.com>');
      assert.equal((await busy.command('DATA')).code, 354);
      busy.write('Subject: in flight\r\n\r\nfirst half\r\n');

      let closed = false;
      const closing = lmtp.service.close().then(() => (closed = true));
      const idleReply = await idle.read();
      assert.equal(idleReply.code, 421);
      assert.equal(idleReply.enhanced, '4.4.2');
      assert.ok(await idle.closedByServer());
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(closed, false, 'close waits for the delivery in flight');

      busy.write('second half\r\n.\r\n');
      const delivered = await busy.read();
      assert.equal(delivered.code, 250);
      assert.equal(delivered.enhanced, '2.0.0');
      assert.equal((await busy.read()).code, 421);
      await closing;
      assert.equal(await inboxCount(store, 'alice@example.com'), 1);
      await assert.rejects(LmtpClient.open(lmtp.target), /ECONNREFUSED/);
      idle.destroy();
      busy.destroy();
      await store.close();
    });

    it('answers 451 4.3.0 per recipient when the store fails after DATA, and ends the transaction', async () => {
      const store = await seeded(backend);
      const lmtp = await runLmtp(store);
      const { client } = await LmtpClient.open(lmtp.target);
      await client.lhlo();
      await client.command('MAIL FROM:<sender@remote.example>');
      assert.equal((await client.command('RCPT TO:<alice@example.com>')).code, 250);
      assert.equal((await client.command('DATA')).code, 354);
      await store.close();
      client.write('Subject: lost store\r\n\r\nbody\r\n.\r\n');
      const reply = await client.read();
      assert.equal(reply.code, 451);
      assert.equal(reply.enhanced, '4.3.0');
      assert.match(reply.raw, /<alice@example\.com>/);
      assert.ok(lmtp.logs.some((l) => l['level'] === 'error'), 'the failure is logged');
      const again = await client.command('RCPT TO:<alice@example.com>');
      assert.equal(again.code, 503, 'the transaction is over');
      await client.quit();
      await lmtp.service.close();
    });
  });
}
