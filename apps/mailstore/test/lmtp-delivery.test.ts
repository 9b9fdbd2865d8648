// LMTP delivery (RFC 2033) into a real store, on sqlite and on mongodb, driven over a raw socket.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { addAlias, addDomain, addUser } from '@postern/directory';
import type { BlobHash, MessageRecord, Store, User } from '@postern/store';
import { LmtpClient, sampleMessage } from './lmtp-client.js';
import { BACKENDS, startBackend, type Backend } from './fixture.js';
import { runLmtp, type RunningLmtp } from './lmtp-fixture.js';

const delimiter = { recipientDelimiter: '+' };

async function inbox(store: Store, address: string): Promise<MessageRecord[]> {
  const user = await store.getUser(address);
  assert.ok(user, `user ${address} exists`);
  const mailbox = await store.getMailbox(user.id, 'INBOX');
  return mailbox ? store.listMessages(mailbox.id) : [];
}

async function text(store: Store, message: MessageRecord): Promise<string> {
  return (await store.readMessage(message)).toString('utf8');
}

const codes = (replies: { code: number; enhanced: string | null }[]): string[] => replies.map((r) => `${r.code} ${r.enhanced}`);

for (const backendName of BACKENDS) {
  describe(`LMTP delivery on ${backendName}`, () => {
    let backend: Backend;
    let store: Store;
    let lmtp: RunningLmtp;
    let client: LmtpClient;
    let fresh: User;

    before(async () => {
      backend = await startBackend(backendName);
      store = await backend.open();
      await addDomain(store, 'example.com');
      await addDomain(store, 'example.org');
      for (const address of ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.org']) {
        await addUser(store, { address, passwordHash: '{PLAIN}x' });
      }
      await addUser(store, { address: 'small@example.com', passwordHash: '{PLAIN}x', quota: 2000 });
      // Made straight in the store: no mailboxes until the first delivery.
      fresh = await store.addUser({ address: 'fresh@example.com', passwordHash: '{PLAIN}x' });
      await addAlias(store, 'team@example.com', ['alice@example.com', 'bob@example.com', 'carol@example.com'], delimiter);
      await addAlias(store, 'sales@example.com', ['bob@example.com', 'alice@example.com'], delimiter);
      await addAlias(store, 'fwd@example.com', ['carol@example.com', 'someone@remote.example'], delimiter);
      await addAlias(store, 'offsite@example.com', ['someone@remote.example'], delimiter);
      await addAlias(store, 'withsmall@example.com', ['alice@example.com', 'small@example.com'], delimiter);
      await addAlias(store, '@example.org', ['dave@example.org'], delimiter);
      lmtp = await runLmtp(store);
      const opened = await LmtpClient.open(lmtp.target);
      client = opened.client;
      assert.equal(opened.greeting.code, 220);
      assert.match(opened.greeting.raw, /^220 mail\.example\.com LMTP/);
      assert.equal((await client.lhlo()).code, 250);
    });

    after(async () => {
      await client?.quit();
      await lmtp?.service.close();
      await store?.close();
      await backend?.stop();
    });

    it('advertises PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES, SIZE and SMTPUTF8 at LHLO, and neither AUTH nor STARTTLS', async () => {
      const reply = await client.lhlo();
      assert.equal(reply.code, 250);
      const extensions = reply.lines.slice(1);
      for (const extension of ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES', `SIZE ${64 * 1024}`, 'SMTPUTF8']) {
        assert.ok(extensions.includes(extension), `${extension} in ${extensions.join(', ')}`);
      }
      assert.ok(!extensions.some((e) => /^(AUTH|STARTTLS|DSN)\b/.test(e)), extensions.join(', '));
      const auth = await client.command('AUTH PLAIN AGFsaWNlAHg=');
      assert.ok(auth.code === 500 || auth.code === 502, `AUTH is not a command here: ${auth.raw}`);
    });

    it('answers 250 2.0.0 after DATA and stores the message with Return-Path and Delivered-To on top', async () => {
      const { rcpt, data } = await client.send('sender@remote.example', ['alice@example.com'], sampleMessage({ subject: 'First', messageId: '<first@remote.example>' }));
      assert.deepEqual(codes(rcpt), ['250 2.1.5']);
      assert.deepEqual(codes(data), ['250 2.0.0']);
      assert.match(data[0]!.raw, /<alice@example\.com> Saved/);
      const messages = await inbox(store, 'alice@example.com');
      assert.equal(messages.length, 1);
      assert.equal(messages[0]!.uid, 1);
      assert.equal(messages[0]!.headers.subject, 'First');
      const stored = await text(store, messages[0]!);
      assert.ok(stored.startsWith('Return-Path: <sender@remote.example>\r\nDelivered-To: alice@example.com\r\nFrom: Sender'), stored.slice(0, 120));
      // Dot-stuffing is undone (RFC 5321 §4.5.2).
      assert.match(stored, /\r\n\.A line starting with a dot\.\r\n$/);
      const line = lmtp.logs.find((l) => l['msg'] === 'delivered alice@example.com to alice@example.com INBOX uid 1');
      assert.ok(line, 'one log line per delivery');
      assert.equal(line['messageId'], '<first@remote.example>');
    });

    it('writes Return-Path: <> for the null sender (a bounce)', async () => {
      const { data } = await client.send('', ['bob@example.com'], sampleMessage({ subject: 'Bounce' }));
      assert.deepEqual(codes(data), ['250 2.0.0']);
      const messages = await inbox(store, 'bob@example.com');
      assert.ok((await text(store, messages.at(-1)!)).startsWith('Return-Path: <>\r\n'));
    });

    it('creates INBOX, Drafts, Sent, Junk and Trash, subscribed, on a user’s first delivery', async () => {
      assert.deepEqual(await store.listMailboxes(fresh.id), []);
      const { data } = await client.send('sender@remote.example', ['fresh@example.com'], sampleMessage());
      assert.deepEqual(codes(data), ['250 2.0.0']);
      const mailboxes = await store.listMailboxes(fresh.id);
      assert.deepEqual(mailboxes.map((m) => m.path).sort(), ['Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
      assert.ok(mailboxes.every((m) => m.subscribed));
      assert.equal(mailboxes.find((m) => m.path === 'Sent')?.specialUse, '\\Sent');
      assert.equal((await inbox(store, 'fresh@example.com')).length, 1);
    });

    it('delivers user+tag to the user, with the tagged address as Delivered-To', async () => {
      const before = (await inbox(store, 'carol@example.com')).length;
      const { rcpt, data } = await client.send('sender@remote.example', ['Carol+Lists@Example.com'], sampleMessage());
      assert.deepEqual(codes(rcpt), ['250 2.1.5']);
      assert.deepEqual(codes(data), ['250 2.0.0']);
      const messages = await inbox(store, 'carol@example.com');
      assert.equal(messages.length, before + 1);
      assert.match(await text(store, messages.at(-1)!), /^Return-Path: <sender@remote\.example>\r\nDelivered-To: Carol\+Lists@Example\.com\r\n/);
    });

    it('refuses an unknown local user with 550 5.1.1 at RCPT and still delivers to the others', async () => {
      const before = (await inbox(store, 'alice@example.com')).length;
      const { rcpt, data } = await client.send('sender@remote.example', ['nobody@example.com', 'alice@example.com'], sampleMessage());
      assert.deepEqual(codes(rcpt), ['550 5.1.1', '250 2.1.5']);
      assert.match(rcpt[0]!.raw, /<nobody@example\.com>/);
      assert.deepEqual(codes(data), ['250 2.0.0']);
      assert.equal((await inbox(store, 'alice@example.com')).length, before + 1);
    });

    it('stores a message for three users once: the body blob is shared, each header has its own Delivered-To', async () => {
      const body = `A body big enough to matter ${'x'.repeat(3000)}`;
      const { rcpt, data } = await client.send('sender@remote.example', ['alice@example.com', 'bob@example.com', 'carol@example.com'], sampleMessage({ subject: 'Shared', body }));
      assert.deepEqual(codes(rcpt), ['250 2.1.5', '250 2.1.5', '250 2.1.5']);
      assert.deepEqual(codes(data), ['250 2.0.0', '250 2.0.0', '250 2.0.0']);
      const copies = await Promise.all(['alice@example.com', 'bob@example.com', 'carol@example.com'].map(async (a) => (await inbox(store, a)).at(-1)!));
      const bodies = new Set(copies.map((m) => m.parts[1]));
      assert.equal(bodies.size, 1, 'one body blob');
      assert.equal(await store.blobRefs(copies[0]!.parts[1] as BlobHash), 3, 'referenced by the three copies');
      assert.equal(new Set(copies.map((m) => m.parts[0])).size, 3, 'three different headers');
      for (const [i, address] of ['alice@example.com', 'bob@example.com', 'carol@example.com'].entries()) {
        assert.match(await text(store, copies[i]!), new RegExp(`^Return-Path: <sender@remote\\.example>\\r\\nDelivered-To: ${address.replace('.', '\\.')}\\r\\n`));
      }
    });

    it('gives a user reached through several aliases one copy, and 250 to every recipient', async () => {
      const counts = async () => Promise.all(['alice@example.com', 'bob@example.com', 'carol@example.com'].map(async (a) => (await inbox(store, a)).length));
      const before = await counts();
      const { rcpt, data } = await client.send('sender@remote.example', ['team@example.com', 'sales@example.com', 'alice@example.com'], sampleMessage({ subject: 'Team' }));
      assert.deepEqual(codes(rcpt), ['250 2.1.5', '250 2.1.5', '250 2.1.5']);
      assert.deepEqual(codes(data), ['250 2.0.0', '250 2.0.0', '250 2.0.0']);
      assert.deepEqual(await counts(), before.map((n) => n + 1));
      const alice = (await inbox(store, 'alice@example.com')).at(-1)!;
      assert.match(await text(store, alice), /^Return-Path: <sender@remote\.example>\r\nDelivered-To: team@example\.com\r\n/);
    });

    it('refuses a recipient the message was already delivered to (its Delivered-To) with 554 5.4.6 and delivers to the others', async () => {
      // A copy this mailstore stored for alice comes back, e.g. forwarded round a loop: it carries Delivered-To: alice@example.com.
      await client.send('sender@remote.example', ['alice@example.com'], sampleMessage({ subject: 'Round trip' }));
      const stored = await text(store, (await inbox(store, 'alice@example.com')).at(-1)!);
      assert.match(stored, /^Return-Path: .*\r\nDelivered-To: alice@example\.com\r\n/);
      const before = await Promise.all(['alice@example.com', 'bob@example.com'].map(async (a) => (await inbox(store, a)).length));
      const { rcpt, data } = await client.send('sender@remote.example', ['Alice@Example.com', 'bob@example.com'], stored);
      assert.deepEqual(codes(rcpt), ['250 2.1.5', '250 2.1.5']);
      assert.deepEqual(codes(data), ['554 5.4.6', '250 2.0.0']);
      assert.match(data[0]!.raw, /^554 5\.4\.6 <Alice@Example\.com> mail forwarding loop for Alice@Example\.com/);
      const after = await Promise.all(['alice@example.com', 'bob@example.com'].map(async (a) => (await inbox(store, a)).length));
      assert.deepEqual(after, [before[0], before[1]! + 1]);
    });

    it('delivers to the catch-all of a domain', async () => {
      const { rcpt, data } = await client.send('sender@remote.example', ['anything@example.org'], sampleMessage({ subject: 'Catch-all' }));
      assert.deepEqual(codes(rcpt), ['250 2.1.5']);
      assert.deepEqual(codes(data), ['250 2.0.0']);
      const messages = await inbox(store, 'dave@example.org');
      assert.equal(messages.at(-1)?.headers.subject, 'Catch-all');
    });

    it('delivers the local targets of an alias and queues its remote targets before the 250 (RFC 2033 §4.2)', async () => {
      const before = (await inbox(store, 'carol@example.com')).length;
      const queued = new Set((await store.listQueue()).map((entry) => entry.id));
      const { rcpt, data } = await client.send('sender@remote.example', ['fwd@example.com', 'offsite@example.com'], sampleMessage({ subject: 'Forward' }));
      assert.deepEqual(codes(rcpt), ['250 2.1.5', '250 2.1.5']);
      assert.deepEqual(codes(data), ['250 2.0.0', '250 2.0.0']);
      assert.match(data[1]!.raw, /<offsite@example\.com> Ok: queued as \S+ for forwarding/);
      assert.equal((await inbox(store, 'carol@example.com')).length, before + 1);
      // One queue entry, the shared target once, its ORCPT naming the first alias that reached it (RFC 3461 §4.2).
      const entries = (await store.listQueue()).filter((entry) => !queued.has(entry.id));
      assert.equal(entries.length, 1);
      // SRS (testConfig's key): a sender of another domain forwarded off-site leaves from SRS0=…@myorigin.
      assert.match(entries[0]!.from, /^SRS0=[^=]{4}=[A-Z2-7]{2}=remote\.example=sender@example\.com$/);
      assert.deepEqual(entries[0]!.recipients.map((r) => [r.address, r.orcpt]), [['someone@remote.example', 'rfc822;fwd@example.com']]);
      const content = Buffer.concat(await Promise.all(entries[0]!.parts.map(async (hash) => (await store.getBlob(hash))!))).toString('utf8');
      assert.match(content, /^Subject: Forward$/m);
      const logged = lmtp.logs.filter((l) => l['queue_id'] === entries[0]!.id).map((l) => l['rcpt']);
      assert.deepEqual(logged, ['fwd@example.com', 'offsite@example.com']);
      await store.deleteQueueEntry(entries[0]!.id);
    });

    it('answers 451 4.3.0 for the forwarding recipients when the queue write fails, 250 for the others', { skip: backendName === 'sqlite' ? false : 'a store write that fails on demand needs a SQLite trigger' }, async () => {
      const path = backend.lastStoreOptions?.path;
      assert.ok(path);
      const sqlite = (sql: string) => execFileSync('sqlite3', [path, sql]);
      // A real failure of the store's queue write (as a full disk would give), not a mock.
      sqlite("CREATE TRIGGER queue_full BEFORE INSERT ON queue BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
      try {
        const { data } = await client.send('sender@remote.example', ['offsite@example.com', 'alice@example.com'], sampleMessage({ subject: 'Queue full' }));
        assert.deepEqual(codes(data), ['451 4.3.0', '250 2.0.0']);
        assert.ok(lmtp.logs.some((l) => /queue file write error/.test(String(l['msg']))));
        assert.deepEqual((await store.listQueue()).filter((entry) => entry.recipients.some((r) => r.address === 'someone@remote.example')), []);
      } finally {
        sqlite('DROP TRIGGER queue_full;');
      }
    });

    it('answers 451 4.3.0 at RCPT for an alias loop in the store, and logs it', async () => {
      // addAlias refuses loops; one made behind its back must not take the session down.
      await store.addAliasTargets('loop1@example.com', ['loop2@example.com']);
      await store.addAliasTargets('loop2@example.com', ['loop1@example.com']);
      const { rcpt } = await client.send('sender@remote.example', ['loop1@example.com'], sampleMessage());
      assert.deepEqual(codes(rcpt), ['451 4.3.0']);
      assert.ok(lmtp.logs.some((l) => l['level'] === 'error' && l['rcpt'] === 'loop1@example.com'));
    });

    it('refuses at RCPT with 452 4.2.2 when MAIL FROM SIZE= cannot fit the quota', async () => {
      const { rcpt } = await client.send('sender@remote.example', ['small@example.com', 'alice@example.com'], sampleMessage(), ' SIZE=5000');
      assert.deepEqual(codes(rcpt), ['452 4.2.2', '250 2.1.5']);
    });

    it('answers 452 4.2.2 after DATA for a recipient over quota, stores nothing for it, and 250 for the others', async () => {
      const body = 'y'.repeat(2500);
      const { rcpt, data } = await client.send('sender@remote.example', ['alice@example.com', 'small@example.com', 'withsmall@example.com', 'bob@example.com'], sampleMessage({ subject: 'Big', body }));
      assert.deepEqual(codes(rcpt), ['250 2.1.5', '250 2.1.5', '250 2.1.5', '250 2.1.5']);
      assert.deepEqual(codes(data), ['250 2.0.0', '452 4.2.2', '452 4.2.2', '250 2.0.0']);
      assert.equal((await inbox(store, 'small@example.com')).length, 0);
      assert.equal((await store.getUser('small@example.com'))?.storageUsed, 0);
    });

    it('delivers to a user under quota and refuses the next message that would pass it', async () => {
      const first = await client.send('sender@remote.example', ['small@example.com'], sampleMessage({ body: 'z'.repeat(1000) }));
      assert.deepEqual(codes(first.data), ['250 2.0.0']);
      const second = await client.send('sender@remote.example', ['small@example.com'], sampleMessage({ body: 'z'.repeat(1000) }));
      assert.deepEqual(codes(second.data), ['452 4.2.2']);
      assert.equal((await inbox(store, 'small@example.com')).length, 1);
    });

    it('refuses a message over message_size_limit with 552 5.3.4 per recipient, stores nothing, and the session goes on', async () => {
      const counts = async () => Promise.all(['alice@example.com', 'bob@example.com'].map(async (a) => (await inbox(store, a)).length));
      const before = await counts();
      const big = sampleMessage({ body: `${'o'.repeat(999)}\r\n`.repeat(70) });
      const { data } = await client.send('sender@remote.example', ['alice@example.com', 'bob@example.com'], big);
      assert.deepEqual(codes(data), ['552 5.3.4', '552 5.3.4']);
      assert.deepEqual(await counts(), before);
      const next = await client.send('sender@remote.example', ['alice@example.com'], sampleMessage());
      assert.deepEqual(codes(next.data), ['250 2.0.0']);
    });

    it('refuses MAIL FROM with SIZE= over message_size_limit (RFC 1870)', async () => {
      const reply = await client.command(`MAIL FROM:<sender@remote.example> SIZE=${64 * 1024 + 1}`);
      assert.equal(reply.code, 552);
      await client.command('RSET');
    });

    it('answers a malformed recipient with 501 and an enhanced code, and the session goes on', async () => {
      assert.equal((await client.command('MAIL FROM:<sender@remote.example>')).code, 250);
      for (const bad of ['RCPT TO:<no-at-sign>', 'RCPT TO:<a..b@example.com>', 'RCPT TO:<"unterminated@example.com>', 'RCPT TO:<alice@exa_mple.com>', 'RCPT TO:alice@example.com junk']) {
        const reply = await client.command(bad);
        assert.equal(reply.code, 501, `${bad} → ${reply.raw}`);
        assert.match(reply.enhanced ?? '', /^5\.\d\.\d$/, reply.raw);
      }
      assert.equal((await client.command('RCPT TO:<alice@example.com>')).code, 250);
      await client.command('RSET');
    });

    it('refuses recipients past recipient_limit with 452 4.5.3', async () => {
      const recipients = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.org', 'fresh@example.com', 'team@example.com'];
      const { rcpt, data } = await client.send('sender@remote.example', recipients, sampleMessage());
      assert.deepEqual(codes(rcpt).slice(0, 5), Array(5).fill('250 2.1.5'));
      assert.equal(codes(rcpt)[5], '452 4.5.3');
      assert.equal(data.length, 5);
    });

    it('refuses a repeated recipient with 503 5.5.1 so that replies after DATA stay one per accepted RCPT', async () => {
      const { rcpt, data } = await client.send('sender@remote.example', ['bob@example.com', 'BOB@example.com'], sampleMessage());
      assert.deepEqual(codes(rcpt), ['250 2.1.5', '503 5.5.1']);
      assert.deepEqual(codes(data), ['250 2.0.0']);
      assert.equal((await client.command('NOOP')).code, 250);
    });

    it('accepts SMTPUTF8 recipients and 8-bit content', async () => {
      const { data } = await client.send('expéditeur@remote.example', ['alice@example.com'], sampleMessage({ subject: 'Grüße', body: 'Ünïcödé body ✓' }), ' SMTPUTF8 BODY=8BITMIME');
      assert.deepEqual(codes(data), ['250 2.0.0']);
      const stored = await text(store, (await inbox(store, 'alice@example.com')).at(-1)!);
      assert.match(stored, /^Return-Path: <expéditeur@remote\.example>\r\n/);
      assert.match(stored, /Ünïcödé body ✓/);
    });

    it('accepts pipelined commands and answers each in order', async () => {
      const before = (await inbox(store, 'bob@example.com')).length;
      client.write('MAIL FROM:<p@remote.example>\r\nRCPT TO:<bob@example.com>\r\nRCPT TO:<nobody@example.com>\r\nDATA\r\n');
      const replies = [await client.read(), await client.read(), await client.read(), await client.read()];
      assert.deepEqual(replies.map((r) => r.code), [250, 250, 550, 354]);
      client.write('Subject: piped\r\n\r\nbody\r\n.\r\nNOOP\r\n');
      assert.deepEqual(codes([await client.read()]), ['250 2.0.0']);
      assert.equal((await client.read()).code, 250);
      assert.equal((await inbox(store, 'bob@example.com')).length, before + 1);
    });

    it('stores nothing when the client disconnects in the middle of DATA, and keeps serving others', async () => {
      const before = (await inbox(store, 'carol@example.com')).length;
      const { client: leaving } = await LmtpClient.open(lmtp.target);
      await leaving.lhlo();
      await leaving.command('MAIL FROM:<sender@remote.example>');
      await leaving.command('RCPT TO:<carol@example.com>');
      assert.equal((await leaving.command('DATA')).code, 354);
      leaving.write('Subject: cut short\r\n\r\nhalf a message\r\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      leaving.destroy();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await inbox(store, 'carol@example.com')).length, before);
      assert.ok(lmtp.logs.some((l) => l['msg'] === 'client left during DATA: nothing stored'));
      const { data } = await client.send('sender@remote.example', ['carol@example.com'], sampleMessage());
      assert.deepEqual(codes(data), ['250 2.0.0']);
    });

    it('gives concurrent sessions distinct, consecutive UIDs', async () => {
      await addUser(store, { address: 'busy@example.com', passwordHash: '{PLAIN}x' });
      const sessions = 8;
      const perSession = 5;
      await Promise.all(
        Array.from({ length: sessions }, async (_, s) => {
          const { client: c } = await LmtpClient.open(lmtp.target);
          await c.lhlo();
          for (let m = 0; m < perSession; m++) {
            const { data } = await c.send('sender@remote.example', ['busy@example.com'], sampleMessage({ subject: `s${s} m${m}` }));
            assert.deepEqual(codes(data), ['250 2.0.0']);
          }
          await c.quit();
        }),
      );
      const uids = (await inbox(store, 'busy@example.com')).map((m) => m.uid);
      assert.deepEqual(uids, Array.from({ length: sessions * perSession }, (_, i) => i + 1));
    });
  });
}
