// describe(), close() and what two connections to the same data see.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FreshStore } from './harness.js';
import { seedMailbox } from './support.js';

export function registerConnectionTests(fresh: FreshStore): void {
  describe('connection', () => {
    it('describes itself in one line naming the backend and an engine version', async () => {
      const { store } = await fresh();
      const line = await store.describe();
      assert.ok(store.backend === 'sqlite' || store.backend === 'mongodb', `backend is sqlite or mongodb, got ${String(store.backend)}`);
      assert.doesNotMatch(line, /[\r\n]/, 'describe() is one line');
      assert.match(line.toLowerCase(), new RegExp(`\\b${store.backend}\\b`), 'describe() names the backend');
      assert.match(line, /\d+\.\d+/, 'describe() names the engine version');
    });

    it('starts empty', async () => {
      const { store } = await fresh();
      assert.deepEqual(await store.listDomains(), []);
      assert.deepEqual(await store.listUsers(), []);
      assert.equal(await store.countUsers(), 0);
      assert.deepEqual(await store.listAliases(), []);
      assert.deepEqual(await store.listSenderLogins(), []);
      assert.deepEqual(await store.listQueue(), []);
    });

    it('lets a peer connection see what the store wrote, and the other way round', async () => {
      const { store, openPeer } = await fresh();
      const peer = await openPeer();
      assert.equal(peer.backend, store.backend);
      await store.addDomain('example.com');
      assert.equal((await peer.getDomain('example.com'))?.name, 'example.com');
      await peer.addDomain('example.org');
      assert.deepEqual((await store.listDomains()).map((d) => d.name), ['example.com', 'example.org']);
    });

    it('keeps the data after the store is closed and opened again', async () => {
      const { store, openPeer } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await store.appendMessage(mailbox.id, { parts: [Buffer.from('Subject: kept\r\n\r\nstill here\r\n')] });
      await store.close();
      const reopened = await openPeer();
      const message = await reopened.getMessage(mailbox.id, 1);
      assert.ok(message, 'the message is still there after reopening');
      assert.equal((await reopened.readMessage(message)).toString(), 'Subject: kept\r\n\r\nstill here\r\n');
      assert.equal((await reopened.getMailboxById(mailbox.id))?.uidNext, 2);
    });
  });
}
