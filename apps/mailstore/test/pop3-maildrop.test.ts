import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Maildrop } from '../src/pop3/maildrop.js';
import { BACKENDS } from './fixture.js';
import { addTestUser, backendSuite, deliver, message } from './pop3-harness.js';

for (const backend of BACKENDS) {
  describe(`POP3 maildrop on ${backend}`, () => {
    const suite = backendSuite(backend, 'pop3 maildrop tests');

    it('creates INBOX and the default folders for a user who has none yet', async () => {
      const user = await addTestUser(suite.store);
      assert.equal(await suite.store.getMailbox(user.id, 'INBOX'), null);
      const maildrop = await Maildrop.open(suite.store, user);
      assert.deepEqual(maildrop.stat(), { count: 0, octets: 0 });
      assert.deepEqual((await suite.store.listMailboxes(user.id)).map((m) => m.path).sort(), ['Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
    });

    it('numbers the messages 1..n in UID order with their sizes and UIDVALIDITY.UID as unique id', async () => {
      const user = await addTestUser(suite.store);
      const raws = [message('first'), message('second', 'a longer body\r\n'.repeat(5))];
      for (const raw of raws) await deliver(suite.store, user, raw);
      const maildrop = await Maildrop.open(suite.store, user);
      const inbox = (await suite.store.getMailbox(user.id, 'INBOX'))!;
      const messages = await suite.store.listMessages(inbox.id);
      assert.deepEqual(
        maildrop.present().map(({ number, size, uniqueId }) => ({ number, size, uniqueId })),
        messages.map((m, i) => ({ number: i + 1, size: Buffer.byteLength(raws[i]!), uniqueId: `${inbox.uidValidity}.${m.uid}` })),
      );
      assert.deepEqual(maildrop.stat(), { count: 2, octets: Buffer.byteLength(raws[0]!) + Buffer.byteLength(raws[1]!) });
      assert.equal((await maildrop.read(maildrop.message(2)!))?.toString(), raws[1]);
    });

    it('keeps the numbering of the login: later deliveries wait for the next session', async () => {
      const user = await addTestUser(suite.store);
      await deliver(suite.store, user, message('before'));
      const maildrop = await Maildrop.open(suite.store, user);
      await deliver(suite.store, user, message('after'));
      assert.equal(maildrop.highestNumber, 1);
      assert.equal((await Maildrop.open(suite.store, user)).highestNumber, 2);
    });

    it('gives the same unique ids in every session', async () => {
      const user = await addTestUser(suite.store);
      for (const n of [1, 2, 3]) await deliver(suite.store, user, message(`m${n}`));
      const ids = async () => (await Maildrop.open(suite.store, user)).present().map((m) => m.uniqueId);
      const first = await ids();
      assert.equal(new Set(first).size, 3);
      assert.deepEqual(await ids(), first);
    });

    it('counts deleted messages out of STAT until RSET puts them back', async () => {
      const user = await addTestUser(suite.store);
      for (const n of [1, 2]) await deliver(suite.store, user, message(`m${n}`));
      const maildrop = await Maildrop.open(suite.store, user);
      const total = maildrop.stat();
      maildrop.delete(maildrop.message(1)!);
      assert.equal(maildrop.stat().count, 1);
      assert.deepEqual(maildrop.present().map((m) => m.number), [2]);
      maildrop.reset();
      assert.deepEqual(maildrop.stat(), total);
    });

    it('removes only the messages marked deleted, and only on commit', async () => {
      const user = await addTestUser(suite.store);
      for (const n of [1, 2, 3]) await deliver(suite.store, user, message(`m${n}`));
      const maildrop = await Maildrop.open(suite.store, user);
      maildrop.delete(maildrop.message(1)!);
      maildrop.delete(maildrop.message(3)!);
      assert.equal((await Maildrop.open(suite.store, user)).highestNumber, 3, 'nothing removed before commit');
      assert.equal(await maildrop.commit(), 2);
      const left = await Maildrop.open(suite.store, user);
      assert.equal(left.highestNumber, 1);
      assert.equal(left.message(1)!.uid, maildrop.message(2)!.uid);
    });

    it('reads null for a message another session expunged meanwhile, and commits without it', async () => {
      const user = await addTestUser(suite.store);
      for (const n of [1, 2]) await deliver(suite.store, user, message(`m${n}`));
      const maildrop = await Maildrop.open(suite.store, user);
      await suite.store.expungeMessages(maildrop.mailbox.id, [maildrop.message(1)!.uid]);
      assert.equal(await maildrop.read(maildrop.message(1)!), null);
      maildrop.delete(maildrop.message(1)!);
      maildrop.delete(maildrop.message(2)!);
      assert.equal(await maildrop.commit(), 1);
    });
  });
}
