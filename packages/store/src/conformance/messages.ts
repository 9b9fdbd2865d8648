// Messages: append allocation, the stored record, reading bytes back, queries, meta, expunge.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blobHash, newId } from '../ids.js';
import type { MailboxId, MessageId } from '../types.js';
import type { FreshStore } from './harness.js';
import { appendText, assertDate, bytes, ID_PATTERN, nth, rejectsWithNotFound, seedMailbox, storageUsed } from './support.js';

export function registerMessageTests(fresh: FreshStore): void {
  describe('appending messages', () => {
    it('gives the first message uid 1 and modseq 2 (the mailbox started at 1) and moves uidNext and highestModseq on', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const first = await appendText(store, mailbox.id, 'one');
      assert.equal(first.message.uid, 1);
      assert.equal(first.message.modseq, 2);
      assert.equal(first.mailbox.id, mailbox.id);
      assert.equal(first.mailbox.uidNext, 2);
      assert.equal(first.mailbox.highestModseq, 2);
      const second = await appendText(store, mailbox.id, 'two');
      assert.equal(second.message.uid, 2);
      assert.equal(second.message.modseq, 3);
      assert.equal(second.mailbox.uidNext, 3);
      assert.equal(second.mailbox.highestModseq, 3);
      const stored = await store.getMailboxById(mailbox.id);
      assert.equal(stored?.uidNext, 3);
      assert.equal(stored?.highestModseq, 3);
      assert.equal(stored?.uidValidity, mailbox.uidValidity, 'appending keeps uidValidity');
    });

    it('stores the record with its parts, size, normalised flags, dates, headers and meta', async () => {
      const { store } = await fresh();
      const { user, mailbox } = await seedMailbox(store);
      const header = bytes('Subject: Hello\r\nFrom: Bob <bob@example.org>\r\n\r\n');
      const body = bytes('Hi Alice,\r\nsee you.\r\n');
      const internalDate = new Date('2024-03-01T10:20:30.456Z');
      const sent = new Date('2024-03-01T10:19:00.000Z');
      const meta = { envelope: ['Hello', null, [['Bob', null, 'bob', 'example.org']]], lines: 2, nested: { ok: true } };
      const { message } = await store.appendMessage(mailbox.id, {
        parts: [header, body],
        flags: ['\\seen', '$Label1', '\\SEEN', '\\flagged'],
        internalDate,
        headers: { subject: 'Hello', from: 'Bob <bob@example.org>', to: 'alice@example.com', date: sent, messageId: '<m1@example.org>' },
        meta,
      });
      assert.match(message.id, ID_PATTERN);
      assert.equal(message.mailboxId, mailbox.id);
      assert.equal(message.userId, user.id);
      assert.deepEqual(message.parts, [blobHash(header), blobHash(body)]);
      assert.equal(message.size, header.length + body.length);
      assert.deepEqual(message.flags, ['\\Seen', '$Label1', '\\Flagged']);

      const stored = await store.getMessageById(message.id);
      assert.ok(stored);
      assert.equal(stored.uid, 1);
      assert.equal(stored.modseq, 2);
      assert.equal(stored.mailboxId, mailbox.id);
      assert.equal(stored.userId, user.id);
      assert.deepEqual(stored.parts, message.parts);
      assert.equal(stored.size, message.size);
      assert.deepEqual(stored.flags, ['\\Seen', '$Label1', '\\Flagged']);
      assertDate(stored.internalDate, 'internalDate');
      assert.equal(stored.internalDate.getTime(), internalDate.getTime());
      assert.equal(stored.headers.subject, 'Hello');
      assert.equal(stored.headers.from, 'Bob <bob@example.org>');
      assert.equal(stored.headers.to, 'alice@example.com');
      assert.equal(stored.headers.messageId, '<m1@example.org>');
      assertDate(stored.headers.date, 'headers.date');
      assert.equal(stored.headers.date.getTime(), sent.getTime());
      assert.deepEqual(stored.meta, meta);
    });

    it('defaults flags to none, meta to null and internalDate to now', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const before = Date.now();
      const { message } = await appendText(store, mailbox.id, 'plain');
      const after = Date.now();
      const stored = await store.getMessage(mailbox.id, message.uid);
      assert.ok(stored);
      assert.deepEqual(stored.flags, []);
      assert.equal(stored.meta, null);
      assertDate(stored.internalDate, 'internalDate');
      // Allow for a backend that keeps whole seconds.
      assert.ok(stored.internalDate.getTime() >= before - 1000 && stored.internalDate.getTime() <= after + 1000, `internalDate ${stored.internalDate.toISOString()} is now`);
    });

    it('refuses to append to an unknown mailbox with StoreNotFoundError', async () => {
      const { store } = await fresh();
      await rejectsWithNotFound(appendText(store, newId<MailboxId>(), 'lost'));
    });

    it('stores each part as a blob with one reference per occurrence', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const logo = bytes('the same logo\r\n');
      const text = bytes('text between\r\n');
      const { message } = await store.appendMessage(mailbox.id, { parts: [logo, text, logo] });
      assert.deepEqual(message.parts, [blobHash(logo), blobHash(text), blobHash(logo)]);
      assert.equal(message.size, logo.length * 2 + text.length);
      assert.equal(await store.blobRefs(blobHash(logo)), 2);
      assert.equal(await store.blobRefs(blobHash(text)), 1);
      assert.deepEqual(await store.readMessage(message), Buffer.concat([logo, text, logo]));
    });

    it('adds the size of each appended message to the user storage', async () => {
      const { store } = await fresh();
      const { user, mailbox } = await seedMailbox(store);
      const archive = await store.createMailbox(user.id, 'Archive');
      const a = await appendText(store, mailbox.id, 'x'.repeat(100));
      const b = await appendText(store, archive.id, 'y'.repeat(250));
      assert.equal(a.message.size, 100);
      assert.equal(b.message.size, 250);
      assert.equal(await storageUsed(store), 350);
    });
  });

  describe('reading messages', () => {
    it('reads back binary, non-UTF-8 bytes exactly', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const invalidUtf8 = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x0d, 0x0a]);
      const latin1 = Buffer.from('Subject: caf\xe9\r\n\r\n', 'latin1');
      const { message } = await store.appendMessage(mailbox.id, { parts: [latin1, every, invalidUtf8] });
      const stored = await store.getMessage(mailbox.id, message.uid);
      assert.ok(stored);
      const read = await store.readMessage(stored);
      assert.ok(read.equals(Buffer.concat([latin1, every, invalidUtf8])), 'the bytes read back are the bytes appended');
      assert.equal(stored.size, read.length);
    });

    it('reads several messages in one call, in the order given, a blob they share read for each', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const shared = bytes('shared part\r\n');
      const first = await store.appendMessage(mailbox.id, { parts: [bytes('one\r\n'), shared] });
      const second = await store.appendMessage(mailbox.id, { parts: [shared, bytes('two\r\n'), shared] });
      const read = await store.readMessages([second.message, first.message, second.message]);
      assert.deepEqual(read.map((buffer) => buffer.toString()), ['shared part\r\ntwo\r\nshared part\r\n', 'one\r\nshared part\r\n', 'shared part\r\ntwo\r\nshared part\r\n']);
      assert.deepEqual(await store.readMessages([]), []);
      await rejectsWithNotFound(store.readMessages([first.message, { parts: [blobHash(bytes('never stored'))] }]));
    });

    it('refuses to read a message whose blob is missing with StoreNotFoundError', async () => {
      const { store } = await fresh();
      const stored = await store.putBlob(bytes('here'));
      await rejectsWithNotFound(store.readMessage({ parts: [stored, blobHash(bytes('never stored'))] }));
    });

    it('finds a message by uid and by id, and returns null for unknown ones', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const { message } = await appendText(store, mailbox.id, 'findable', { headers: { subject: 'Find me' } });
      assert.equal((await store.getMessage(mailbox.id, 1))?.id, message.id);
      assert.equal((await store.getMessageById(message.id))?.uid, 1);
      assert.equal((await store.getMessageById(message.id))?.headers.subject, 'Find me');
      assert.equal(await store.getMessage(mailbox.id, 2), null);
      assert.equal(await store.getMessage(newId<MailboxId>(), 1), null);
      assert.equal(await store.getMessageById(newId<MessageId>()), null);
    });

    it('lists messages in uid order by explicit uids, by range and by open range', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      for (let i = 1; i <= 5; i++) await appendText(store, mailbox.id, `message ${i}`);
      const uids = async (query?: Parameters<typeof store.listMessages>[1]) => (await store.listMessages(mailbox.id, query)).map((m) => m.uid);
      assert.deepEqual(await uids(), [1, 2, 3, 4, 5]);
      assert.deepEqual(await uids({ uids: { uids: [4, 1, 9, 3] } }), [1, 3, 4]);
      assert.deepEqual(await uids({ uids: { min: 2, max: 4 } }), [2, 3, 4]);
      assert.deepEqual(await uids({ uids: { min: 4, max: null } }), [4, 5]);
      assert.deepEqual(await uids({ uids: { min: 6, max: null } }), []);
      assert.deepEqual(await uids({ uids: { uids: [] } }), []);
    });

    it('lists only messages changed since a modseq', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      for (let i = 1; i <= 4; i++) await appendText(store, mailbox.id, `message ${i}`);
      await store.updateFlags(mailbox.id, [3, 1], { op: 'add', flags: ['\\Seen'] });
      const uids = async (query: Parameters<typeof store.listMessages>[1]) => (await store.listMessages(mailbox.id, query)).map((m) => `${m.uid}@${m.modseq}`);
      assert.deepEqual(await uids({ changedSince: 5 }), ['1@6', '3@7']);
      assert.deepEqual(await uids({ changedSince: 4 }), ['1@6', '3@7', '4@5']);
      assert.deepEqual(await uids({ changedSince: 4, uids: { min: 2, max: null } }), ['3@7', '4@5']);
      assert.deepEqual(await uids({ changedSince: 7 }), []);
    });

    it('lists the UIDs, MODSEQs and flags alone for the same queries, in UID order', async () => {
      const { store } = await fresh();
      const { user, mailbox } = await seedMailbox(store);
      await appendText(store, (await store.createMailbox(user.id, 'Other')).id, 'elsewhere');
      for (let i = 1; i <= 4; i++) await appendText(store, mailbox.id, `message ${i}`, { flags: i === 2 ? ['\\Flagged'] : [] });
      await store.updateFlags(mailbox.id, [3], { op: 'add', flags: ['\\Seen', 'Work'] });
      assert.deepEqual(await store.listMessageFlags(mailbox.id), [
        { uid: 1, modseq: 2, flags: [] },
        { uid: 2, modseq: 3, flags: ['\\Flagged'] },
        { uid: 3, modseq: 6, flags: ['\\Seen', 'Work'] },
        { uid: 4, modseq: 5, flags: [] },
      ]);
      for (const query of [{ uids: { uids: [4, 1, 9] } }, { uids: { min: 2, max: 3 } }, { changedSince: 4 }, { changedSince: 4, uids: { min: 4, max: null } }]) {
        const full = (await store.listMessages(mailbox.id, query)).map(({ uid, modseq, flags }) => ({ uid, modseq, flags }));
        assert.deepEqual(await store.listMessageFlags(mailbox.id, query), full, JSON.stringify(query));
      }
    });

    it('lists and counts only the messages of the mailbox asked for', async () => {
      const { store } = await fresh();
      const { user, mailbox } = await seedMailbox(store);
      const other = await store.createMailbox(user.id, 'Other');
      await appendText(store, mailbox.id, 'inbox');
      await appendText(store, other.id, 'other 1');
      await appendText(store, other.id, 'other 2');
      assert.deepEqual((await store.listMessages(mailbox.id)).map((m) => m.mailboxId), [mailbox.id]);
      assert.equal(await store.countMessages(mailbox.id), 1);
      assert.equal(await store.countMessages(other.id), 2);
    });

    it('counts all messages and the unseen ones', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      assert.equal(await store.countMessages(mailbox.id), 0);
      await appendText(store, mailbox.id, 'a', { flags: ['\\Seen'] });
      await appendText(store, mailbox.id, 'b', { flags: ['\\Flagged'] });
      await appendText(store, mailbox.id, 'c');
      assert.equal(await store.countMessages(mailbox.id), 3);
      assert.equal(await store.countMessages(mailbox.id, { unseen: true }), 2);
      await store.updateFlags(mailbox.id, [2], { op: 'add', flags: ['\\seen'] });
      assert.equal(await store.countMessages(mailbox.id, { unseen: true }), 1);
      await store.updateFlags(mailbox.id, [1], { op: 'remove', flags: ['\\Seen'] });
      assert.equal(await store.countMessages(mailbox.id, { unseen: true }), 2);
    });

    it('counts the messages above a UID, alone and with unseen', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'a');
      await appendText(store, mailbox.id, 'b', { flags: ['\\Seen'] });
      await appendText(store, mailbox.id, 'c');
      assert.equal(await store.countMessages(mailbox.id, { aboveUid: 0 }), 3);
      assert.equal(await store.countMessages(mailbox.id, { aboveUid: 1 }), 2);
      assert.equal(await store.countMessages(mailbox.id, { aboveUid: 1, unseen: true }), 1);
      assert.equal(await store.countMessages(mailbox.id, { aboveUid: 3 }), 0);
    });

    it('sets and clears the cached meta of a message', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const { message } = await appendText(store, mailbox.id, 'with meta');
      const meta = { bodystructure: ['text', 'plain', ['charset', 'utf-8'], null, null, '7bit', 9, 1], parsed: true };
      await store.setMessageMeta(message.id, meta);
      assert.deepEqual((await store.getMessageById(message.id))?.meta, meta);
      await store.setMessageMeta(message.id, null);
      assert.equal((await store.getMessageById(message.id))?.meta, null);
    });
  });

  describe('expunging messages', () => {
    it('expunges the existing uids in ascending order, each with its own modseq', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      for (let i = 1; i <= 4; i++) await appendText(store, mailbox.id, `message ${i}`);
      const expunged = await store.expungeMessages(mailbox.id, [4, 9, 2]);
      assert.deepEqual(expunged, [2, 4]);
      assert.deepEqual((await store.listMessages(mailbox.id)).map((m) => m.uid), [1, 3]);
      assert.equal(await store.getMessage(mailbox.id, 2), null);
      const after = await store.getMailboxById(mailbox.id);
      assert.equal(after?.highestModseq, 7);
      assert.equal(after?.uidNext, 5, 'uids are never reused');
      assert.equal((await appendText(store, mailbox.id, 'next')).message.uid, 5);
    });

    it('releases the blobs and the user storage of expunged messages', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      const kept = await appendText(store, mailbox.id, 'kept message');
      const gone = await appendText(store, mailbox.id, 'expunged message, longer');
      const hash = nth(gone.message.parts, 0);
      assert.equal(await storageUsed(store), kept.message.size + gone.message.size);
      await store.expungeMessages(mailbox.id, [gone.message.uid]);
      assert.equal(await storageUsed(store), kept.message.size);
      assert.equal(await store.blobRefs(hash), 0);
      assert.equal(await store.getBlob(hash), null);
      assert.equal(await store.getMessageById(gone.message.id), null);
    });

    it('expunges nothing and changes nothing when no uid exists', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      await appendText(store, mailbox.id, 'only');
      assert.deepEqual(await store.expungeMessages(mailbox.id, [7, 8]), []);
      assert.deepEqual(await store.expungeMessages(mailbox.id, []), []);
      assert.equal((await store.getMailboxById(mailbox.id))?.highestModseq, 2);
      assert.equal(await store.countMessages(mailbox.id), 1);
    });
  });
}
