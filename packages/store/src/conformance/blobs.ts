// The content-addressed, reference-counted blob store.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { blobHash } from '../ids.js';
import type { FreshStore } from './harness.js';
import { bytes, seedMailbox } from './support.js';

export function registerBlobTests(fresh: FreshStore): void {
  describe('blobs', () => {
    it('stores bytes under their lower-case SHA-256 hex with one reference', async () => {
      const { store } = await fresh();
      const data = bytes('hello blob\r\n');
      const hash = await store.putBlob(data);
      assert.equal(hash, blobHash(data));
      assert.match(hash, /^[0-9a-f]{64}$/);
      assert.equal(await store.blobRefs(hash), 1);
      const read = await store.getBlob(hash);
      assert.ok(read && read.equals(data));
    });

    it('stores the same bytes once and counts a reference per put', async () => {
      const { store } = await fresh();
      const first = await store.putBlob(bytes('same bytes'));
      const second = await store.putBlob(bytes('same bytes'));
      assert.equal(first, second);
      assert.equal(await store.blobRefs(first), 2);
    });

    it('keeps a blob until its last reference is released, then forgets it', async () => {
      const { store } = await fresh();
      const data = bytes('released twice');
      const hash = await store.putBlob(data);
      await store.putBlob(data);
      await store.releaseBlob(hash);
      assert.equal(await store.blobRefs(hash), 1);
      assert.ok((await store.getBlob(hash))?.equals(data), 'still readable with one reference left');
      await store.releaseBlob(hash);
      assert.equal(await store.blobRefs(hash), 0);
      assert.equal(await store.getBlob(hash), null);
    });

    it('stores a blob again after it was released to zero', async () => {
      const { store } = await fresh();
      const data = bytes('back again');
      const hash = await store.putBlob(data);
      await store.releaseBlob(hash);
      assert.equal(await store.putBlob(data), hash);
      assert.equal(await store.blobRefs(hash), 1);
      assert.ok((await store.getBlob(hash))?.equals(data));
    });

    it('returns null and zero references for an unknown blob', async () => {
      const { store } = await fresh();
      const hash = blobHash(bytes('never stored'));
      assert.equal(await store.getBlob(hash), null);
      assert.equal(await store.blobRefs(hash), 0);
    });

    it('round-trips every byte value and a 3 MiB random blob exactly', async () => {
      const { store } = await fresh();
      const every = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
      const large = randomBytes(3 * 1024 * 1024);
      for (const data of [every, large]) {
        const hash = await store.putBlob(data);
        const read = await store.getBlob(hash);
        assert.ok(read, 'the blob is there');
        assert.equal(read.length, data.length);
        assert.ok(read.equals(data), 'the bytes read back are the bytes stored');
      }
    });

    it('shares one blob between messages and queue entries, counting each use', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const attachment = bytes('a PDF, say\r\n');
      const hash = blobHash(attachment);
      await store.appendMessage(mailbox.id, { parts: [attachment] });
      const queued = await store.enqueue({ from: 'alice@example.com', recipients: [{ address: 'bob@example.org' }], parts: [attachment] });
      await store.putBlob(attachment);
      assert.equal(await store.blobRefs(hash), 3);
      await store.deleteQueueEntry(queued.id);
      assert.equal(await store.blobRefs(hash), 2);
      await store.expungeMessages(mailbox.id, [1]);
      assert.equal(await store.blobRefs(hash), 1);
      assert.ok((await store.getBlob(hash))?.equals(attachment));
    });
  });
}
