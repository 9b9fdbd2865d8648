// Store.searchFlags and Store.mailboxTotals: SEARCH on flags (RFC 3501 §6.4.4) and STATUS SIZE/DELETED
// (RFC 8438 §3, RFC 9051 §6.3.11) answered by the store, after every kind of write that sets flags.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../store.js';
import type { FlagSearch, MailboxId, MessageFlags } from '../types.js';
import type { FreshStore } from './harness.js';
import { appendText, seedMailbox } from './support.js';

/** The answer worked out from the flags listMessageFlags gives, compared without case (RFC 3501 §2.3.2). */
function expected(messages: readonly MessageFlags[], search: FlagSearch): number[] {
  return messages
    .filter((message) => !search.uids || (message.uid >= search.uids.min && (search.uids.max === null || message.uid <= search.uids.max)))
    .filter((message) => search.flags.every(({ flag, set }) => message.flags.some((has) => has.toLowerCase() === flag.toLowerCase()) === set))
    .map((message) => message.uid);
}

/** Searches clients send most (UNSEEN, SEEN, DELETED, UNDELETED, FLAGGED, KEYWORD …, and ANDs of them, with and without UIDs). */
const SEARCHES: FlagSearch[] = [
  { flags: [{ flag: '\\Seen', set: false }] },
  { flags: [{ flag: '\\Seen', set: true }] },
  { flags: [{ flag: '\\seen', set: false }], uids: { min: 2, max: 5 } },
  { flags: [{ flag: '\\Deleted', set: true }] },
  { flags: [{ flag: '\\DELETED', set: false }] },
  { flags: [{ flag: '\\Flagged', set: true }] },
  { flags: [{ flag: '\\Answered', set: false }] },
  { flags: [{ flag: '\\Draft', set: true }] },
  { flags: [{ flag: '$Work', set: true }] },
  { flags: [{ flag: '$WORK', set: false }] },
  { flags: [{ flag: 'NonJunk', set: true }], uids: { min: 3, max: null } },
  { flags: [{ flag: '\\Seen', set: false }, { flag: '\\Deleted', set: false }] },
  { flags: [{ flag: '\\Seen', set: true }, { flag: '$work', set: true }, { flag: '\\Flagged', set: false }] },
  { flags: [{ flag: '\\Seen', set: true }, { flag: '\\Seen', set: false }] },
  { flags: [], uids: { min: 2, max: 4 } },
  { flags: [] },
];

async function assertSearches(store: Store, mailboxId: MailboxId): Promise<void> {
  const messages = await store.listMessageFlags(mailboxId);
  for (const search of SEARCHES) {
    assert.deepEqual(await store.searchFlags(mailboxId, search), expected(messages, search), `searchFlags ${JSON.stringify(search)}`);
  }
  const unseen = expected(messages, { flags: [{ flag: '\\Seen', set: false }] }).length;
  assert.equal(await store.countMessages(mailboxId, { unseen: true }), unseen, 'the unseen count agrees with the search');
}

export function registerFlagSearchTests(fresh: FreshStore): void {
  describe('searching by flags', () => {
    it('answers every flag condition as the flags stand after appends, flag changes, copies and moves', async () => {
      const { store } = await fresh();
      const { user, mailbox } = await seedMailbox(store);
      const other = await store.createMailbox(user.id, 'Archive');
      await appendText(store, mailbox.id, 'one', { flags: ['\\Seen', '$Work'] });
      await appendText(store, mailbox.id, 'two', { flags: ['\\deleted'] });
      await appendText(store, mailbox.id, 'three', { flags: ['\\Flagged', '$work', 'NonJunk'] });
      await appendText(store, mailbox.id, 'four', { flags: ['\\Seen', '\\Answered', '\\Draft'] });
      await appendText(store, mailbox.id, 'five');
      await appendText(store, mailbox.id, 'six', { flags: ['\\Seen', '\\Deleted', 'NonJunk'] });
      await assertSearches(store, mailbox.id);

      await store.updateFlags(mailbox.id, [1, 5], { op: 'add', flags: ['\\Deleted', '\\Seen'] });
      await store.updateFlags(mailbox.id, [2, 6], { op: 'remove', flags: ['\\DELETED', '\\seen'] });
      await store.updateFlags(mailbox.id, [4], { op: 'set', flags: ['$WORK', '\\Flagged'] });
      await assertSearches(store, mailbox.id);

      await store.copyMessages(mailbox.id, [1, 2, 3], other.id);
      await store.moveMessages(mailbox.id, [4, 6], other.id);
      await assertSearches(store, mailbox.id);
      await assertSearches(store, other.id);
      assert.deepEqual(await store.searchFlags(other.id, { flags: [{ flag: '\\Seen', set: true }] }), [1], 'the copy keeps \\Seen');
    });

    it('finds nothing in an empty or unknown mailbox', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      assert.deepEqual(await store.searchFlags(mailbox.id, { flags: [{ flag: '\\Seen', set: false }] }), []);
      assert.deepEqual(await store.searchFlags('0123456789abcdef01234567' as MailboxId, { flags: [{ flag: '\\Seen', set: false }] }), []);
    });
  });

  describe('mailbox totals', () => {
    it('sums RFC822.SIZE and counts \\Deleted, following flag changes and expunges', async () => {
      const { store } = await fresh();
      const { mailbox } = await seedMailbox(store);
      assert.deepEqual(await store.mailboxTotals(mailbox.id), { size: 0, deleted: 0 }, 'an empty mailbox');
      await appendText(store, mailbox.id, 'a'.repeat(100), { flags: ['\\Deleted'] });
      await appendText(store, mailbox.id, 'b'.repeat(250));
      await appendText(store, mailbox.id, 'c'.repeat(7), { flags: ['\\Seen', '\\deleted'] });
      assert.deepEqual(await store.mailboxTotals(mailbox.id), { size: 357, deleted: 2 });
      await store.updateFlags(mailbox.id, [2], { op: 'add', flags: ['\\Deleted'] });
      await store.updateFlags(mailbox.id, [1], { op: 'set', flags: ['\\Seen'] });
      assert.deepEqual(await store.mailboxTotals(mailbox.id), { size: 357, deleted: 2 });
      await store.expungeMessages(mailbox.id, [2, 3]);
      assert.deepEqual(await store.mailboxTotals(mailbox.id), { size: 100, deleted: 0 });
      const listed = await store.listMessages(mailbox.id);
      assert.equal(listed.reduce((sum, message) => sum + message.size, 0), 100, 'the sum of the records');
    });
  });
}
