// Junk filing: mail the MTA's content scanner flagged X-Spam-Flag: YES is delivered over LMTP into the user's \Junk mailbox.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addAlias, addDomain, addUser } from '@postern/directory';
import type { MessageRecord, Store } from '@postern/store';
import { LmtpClient, sampleMessage } from './lmtp-client.js';
import { BACKENDS, startBackend, type Backend } from './fixture.js';
import { runLmtp, type RunningLmtp } from './lmtp-fixture.js';

async function messagesIn(store: Store, address: string, path: string): Promise<MessageRecord[]> {
  const user = await store.getUser(address);
  assert.ok(user, `user ${address} exists`);
  const mailbox = await store.getMailbox(user.id, path);
  return mailbox ? store.listMessages(mailbox.id) : [];
}

async function subjectsIn(store: Store, address: string, path: string): Promise<string[]> {
  return (await messagesIn(store, address, path)).map((message) => message.headers.subject ?? '');
}

/** A message with `top` header lines above it, as the MTA prepends the scanner's X-Spam-* lines. */
function withHeaders(top: string[], subject: string, body?: string): string {
  return [...top, sampleMessage({ subject, ...(body === undefined ? {} : { body }) })].join('\r\n');
}

const SPAM = ['X-Spam-Flag: YES', 'X-Spam-Score: 1003.3', 'X-Spam-Status: Yes, score=1003.3 required=5.0 tests=GTUBE,MISSING_DATE'];
const HAM = ['X-Spam-Flag: NO', 'X-Spam-Score: 0.4', 'X-Spam-Status: No, score=0.4 required=5.0 tests=MISSING_MID'];

for (const backendName of BACKENDS) {
  describe(`Junk filing over LMTP on ${backendName}`, () => {
    let backend: Backend;
    let store: Store;
    let lmtp: RunningLmtp;
    let client: LmtpClient;

    before(async () => {
      backend = await startBackend(backendName);
      store = await backend.open();
      await addDomain(store, 'example.com');
      for (const address of ['alice@example.com', 'bob@example.com']) await addUser(store, { address, passwordHash: '{PLAIN}x' });
      await addAlias(store, 'team@example.com', ['alice@example.com', 'bob@example.com'], { recipientDelimiter: '+' });
      // Made straight in the store: no mailboxes until the first delivery.
      await store.addUser({ address: 'fresh@example.com', passwordHash: '{PLAIN}x' });
      // Only INBOX and a \Junk folder named "Spam" (as a client may have renamed it).
      const renamed = await store.addUser({ address: 'renamed@example.com', passwordHash: '{PLAIN}x' });
      await store.createMailbox(renamed.id, 'INBOX', { subscribed: true });
      await store.createMailbox(renamed.id, 'Spam', { specialUse: '\\Junk', subscribed: true });
      lmtp = await runLmtp(store);
      const opened = await LmtpClient.open(lmtp.target);
      client = opened.client;
      assert.equal((await client.lhlo()).code, 250);
    });

    after(async () => {
      await client?.quit();
      await lmtp?.service.close();
      await store?.close();
      await backend?.stop();
    });

    it('files a message flagged X-Spam-Flag: YES into Junk, not INBOX, and answers 250', async () => {
      const { data } = await client.send('sender@remote.example', ['alice@example.com'], withHeaders(SPAM, 'Flagged spam'));
      assert.deepEqual(data.map((reply) => reply.code), [250]);
      assert.deepEqual(await subjectsIn(store, 'alice@example.com', 'Junk'), ['Flagged spam']);
      assert.ok(!(await subjectsIn(store, 'alice@example.com', 'INBOX')).includes('Flagged spam'));
      const [stored] = await messagesIn(store, 'alice@example.com', 'Junk');
      assert.ok(stored);
      const text = (await store.readMessage(stored)).toString('utf8');
      assert.match(text, /^Return-Path: <sender@remote\.example>\r\nDelivered-To: alice@example\.com\r\nX-Spam-Flag: YES\r\n/);
      const logged = lmtp.logs.find((line) => typeof line.msg === 'string' && line.msg.includes('uid') && line.mailbox === 'Junk');
      assert.ok(logged, 'the delivery log names the Junk mailbox');
    });

    it('delivers a message flagged X-Spam-Flag: NO to INBOX', async () => {
      const { data } = await client.send('sender@remote.example', ['alice@example.com'], withHeaders(HAM, 'Scanned and clean'));
      assert.deepEqual(data.map((reply) => reply.code), [250]);
      assert.ok((await subjectsIn(store, 'alice@example.com', 'INBOX')).includes('Scanned and clean'));
      assert.ok(!(await subjectsIn(store, 'alice@example.com', 'Junk')).includes('Scanned and clean'));
    });

    it('delivers an unscanned message (no X-Spam-Flag) to INBOX', async () => {
      await client.send('sender@remote.example', ['alice@example.com'], sampleMessage({ subject: 'Not scanned' }));
      assert.ok((await subjectsIn(store, 'alice@example.com', 'INBOX')).includes('Not scanned'));
    });

    it('goes by the topmost X-Spam-Flag only: our scanner line wins over one the sender wrote lower down', async () => {
      await client.send('sender@remote.example', ['alice@example.com'], withHeaders(['X-Spam-Flag: NO', 'Received: from x by y', 'X-Spam-Flag: YES'], 'Forged YES below'));
      await client.send('sender@remote.example', ['alice@example.com'], withHeaders(['X-Spam-Flag: YES', 'Received: from x by y', 'X-Spam-Flag: NO'], 'Forged NO below'));
      assert.ok((await subjectsIn(store, 'alice@example.com', 'INBOX')).includes('Forged YES below'));
      assert.ok((await subjectsIn(store, 'alice@example.com', 'Junk')).includes('Forged NO below'));
    });

    it('reads the field name and YES case-insensitively, and ignores X-Spam-Flag text in the body', async () => {
      await client.send('sender@remote.example', ['alice@example.com'], withHeaders(['x-spam-flag:   yes  '], 'Lower-case flag'));
      await client.send('sender@remote.example', ['alice@example.com'], sampleMessage({ subject: 'Flag in body', body: 'X-Spam-Flag: YES\r\nis just text here.' }));
      assert.ok((await subjectsIn(store, 'alice@example.com', 'Junk')).includes('Lower-case flag'));
      assert.ok((await subjectsIn(store, 'alice@example.com', 'INBOX')).includes('Flag in body'));
    });

    it('files one copy into each recipient’s Junk for an alias with several users', async () => {
      const { data } = await client.send('sender@remote.example', ['team@example.com'], withHeaders(SPAM, 'Spam to the team'));
      assert.deepEqual(data.map((reply) => reply.code), [250]);
      for (const address of ['alice@example.com', 'bob@example.com']) {
        assert.deepEqual(
          (await subjectsIn(store, address, 'Junk')).filter((s) => s === 'Spam to the team'),
          ['Spam to the team'],
          address,
        );
        assert.ok(!(await subjectsIn(store, address, 'INBOX')).includes('Spam to the team'), address);
      }
    });

    it('creates the default folders for a user who has none yet and files the spam into the new Junk', async () => {
      const { data } = await client.send('sender@remote.example', ['fresh@example.com'], withHeaders(SPAM, 'First mail is spam'));
      assert.deepEqual(data.map((reply) => reply.code), [250]);
      const user = await store.getUser('fresh@example.com');
      assert.ok(user);
      const mailboxes = await store.listMailboxes(user.id);
      const junk = mailboxes.find((mailbox) => mailbox.path === 'Junk');
      assert.equal(junk?.specialUse, '\\Junk');
      assert.ok(mailboxes.some((mailbox) => mailbox.path === 'INBOX'));
      assert.deepEqual(await subjectsIn(store, 'fresh@example.com', 'Junk'), ['First mail is spam']);
      assert.deepEqual(await subjectsIn(store, 'fresh@example.com', 'INBOX'), []);
    });

    it('files into the mailbox marked \\Junk whatever its name', async () => {
      await client.send('sender@remote.example', ['renamed@example.com'], withHeaders(SPAM, 'Spam for the renamed folder'));
      assert.deepEqual(await subjectsIn(store, 'renamed@example.com', 'Spam'), ['Spam for the renamed folder']);
      assert.deepEqual(await subjectsIn(store, 'renamed@example.com', 'INBOX'), []);
    });
  });
}
