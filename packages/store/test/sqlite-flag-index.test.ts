// SQLite: the flag searches and STATUS sums run on indexes (EXPLAIN QUERY PLAN), and migration 11
// fills the deleted column of a store written before it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { flagSearchSql, TOTALS_SQL } from '../src/sqlite/flag-search.js';
import { SqliteStore } from '../src/sqlite/index.js';
import type { FlagSearch, MailboxId } from '../src/types.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postern-flag-index-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A store with one mailbox of `count` messages, every third seen and every fifth deleted. */
async function seeded(path: string, count: number): Promise<MailboxId> {
  const store = await SqliteStore.open(path);
  try {
    const user = await store.addUser({ address: 'alice@example.com', passwordHash: '{PLAIN}x' });
    const mailbox = await store.createMailbox(user.id, 'INBOX');
    for (let n = 1; n <= count; n++) {
      const flags = [...(n % 3 === 0 ? ['\\Seen'] : []), ...(n % 5 === 0 ? ['\\Deleted'] : []), ...(n % 7 === 0 ? ['$Work'] : [])];
      await store.appendMessage(mailbox.id, { parts: [Buffer.from(`Subject: ${n}\r\n\r\n${'x'.repeat(n)}\r\n`)], flags });
    }
    return mailbox.id;
  } finally {
    await store.close();
  }
}

function plan(db: Database.Database, sql: string, values: unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...values) as { detail: string }[]).map((row) => row.detail).join(' | ');
}

test('UNSEEN, SEEN, DELETED and UNDELETED searches read an index in UID order; the totals are covered by one', async (t) => {
  const path = join(dir, 'plans.sqlite');
  const mailboxId = await seeded(path, 40);
  const db = new Database(path, { readonly: true });
  try {
    const cases: [FlagSearch, RegExp][] = [
      [{ flags: [{ flag: '\\Seen', set: false }] }, /USING (COVERING )?INDEX messages_by_seen \(mailbox_id=\? AND seen=\?\)/],
      [{ flags: [{ flag: '\\Seen', set: true }], uids: { min: 5, max: 30 } }, /USING (COVERING )?INDEX messages_by_seen \(mailbox_id=\? AND seen=\? AND uid>\? AND uid<\?\)/],
      [{ flags: [{ flag: '\\Deleted', set: true }] }, /USING (COVERING )?INDEX messages_by_deleted \(mailbox_id=\? AND deleted=\?\)/],
      [{ flags: [{ flag: '$Work', set: true }, { flag: '\\deleted', set: false }] }, /USING (COVERING )?INDEX messages_by_deleted \(mailbox_id=\? AND deleted=\?\)/],
      [{ flags: [{ flag: '$Work', set: true }] }, /USING (COVERING )?INDEX sqlite_autoindex_messages_\d \(mailbox_id=\?\)/],
    ];
    for (const [search, wanted] of cases) {
      const { sql, values } = flagSearchSql(mailboxId, search);
      const detail = plan(db, sql, values);
      assert.match(detail, wanted, `${JSON.stringify(search)}: ${detail}`);
      t.diagnostic(`${JSON.stringify(search)}: ${detail}`);
      assert.doesNotMatch(detail, /TEMP B-TREE/, `${JSON.stringify(search)} needs no sort: ${detail}`);
    }
    assert.match(plan(db, TOTALS_SQL, [mailboxId]), /USING COVERING INDEX messages_by_deleted \(mailbox_id=\?\)/);
  } finally {
    db.close();
  }
});

test('migration 11 gives messages written before it their deleted column', async () => {
  const path = join(dir, 'upgrade.sqlite');
  const mailboxId = await seeded(path, 20);
  // Back to schema 10 as it was: no deleted column, the old \Seen index.
  const db = new Database(path);
  db.exec(`DROP INDEX messages_by_deleted; DROP INDEX messages_by_seen; CREATE INDEX messages_by_seen ON messages (mailbox_id, seen);
           ALTER TABLE messages DROP COLUMN deleted; PRAGMA user_version = 10;`);
  db.close();
  const store = await SqliteStore.open(path);
  try {
    assert.deepEqual(await store.searchFlags(mailboxId, { flags: [{ flag: '\\Deleted', set: true }] }), [5, 10, 15, 20]);
    const sizes = (await store.listMessages(mailboxId)).reduce((sum, message) => sum + message.size, 0);
    assert.deepEqual(await store.mailboxTotals(mailboxId), { size: sizes, deleted: 4 });
    assert.equal(await store.countMessages(mailboxId, { unseen: true }), 14);
  } finally {
    await store.close();
  }
});
