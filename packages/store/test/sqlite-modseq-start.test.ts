// SQLite migration 12 (RFC 7162 §3.1.1): a file written before it, with a never-changed mailbox at
// HIGHESTMODSEQ 0, opens with that mailbox at 1; a mailbox with changes keeps its MODSEQs and journal.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SqliteDb } from '../src/sqlite/db.js';
import { SqliteStore } from '../src/sqlite/index.js';
import { migrate, SCHEMA_VERSION } from '../src/sqlite/schema.js';
import type { MailboxId } from '../src/types.js';

/** The migration that moves never-changed mailboxes from 0 to 1. */
const MODSEQ_START_MIGRATION = 12;

describe('SQLite migration 12: never-changed mailboxes start at MODSEQ 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-modseq-start-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A file as Postern left it before migration 12: one user, an untouched mailbox (0) and one with three changes. */
  function previousVersionFile(path: string): void {
    const db = SqliteDb.open(path);
    try {
      migrate(db, MODSEQ_START_MIGRATION - 1);
      const now = Date.now();
      db.run('INSERT INTO users (id, address, domain, password_hash, created_at) VALUES (?, ?, ?, ?, ?)', 'u1', 'alice@example.com', 'example.com', '{PLAIN}x', now);
      const mailbox = 'INSERT INTO mailboxes (id, user_id, path, uid_validity, uid_next, highest_modseq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)';
      db.run(mailbox, 'untouched', 'u1', 'Untouched', 7, 1, 0, now);
      db.run(mailbox, 'used', 'u1', 'INBOX', 8, 3, 3, now);
      const entry = 'INSERT INTO journal (mailbox_id, modseq, kind, uid, message_id, flags, written_at) VALUES (?, ?, ?, ?, ?, ?, ?)';
      db.run(entry, 'used', 1, 'append', 1, 'm1', '[]', now);
      db.run(entry, 'used', 2, 'append', 2, 'm2', '[]', now);
      db.run(entry, 'used', 3, 'flags', 1, 'm1', '["\\\\Seen"]', now);
    } finally {
      db.close();
    }
  }

  test('moves the 0 to 1, keeps the changed mailbox at 3 with its journal from 1, and the next changes are 2 and 4', async () => {
    const path = join(dir, 'previous.sqlite');
    previousVersionFile(path);
    const store = await SqliteStore.open(path);
    try {
      assert.equal((await store.getMailboxById('untouched' as MailboxId))?.highestModseq, 1);
      assert.equal((await store.getMailboxById('used' as MailboxId))?.highestModseq, 3);
      // The older mailbox's journal still starts at 1 and reads whole from 0 and from every MODSEQ a client was given.
      assert.deepEqual((await store.readJournal('used' as MailboxId, 0)).map((e) => e.modseq), [1, 2, 3]);
      assert.deepEqual((await store.readJournal('used' as MailboxId, 1)).map((e) => e.modseq), [2, 3]);
      const first = await store.appendMessage('untouched' as MailboxId, { parts: [Buffer.from('Subject: first\r\n\r\n')] });
      assert.deepEqual([first.message.uid, first.message.modseq], [1, 2], 'CHANGEDSINCE 1 finds it');
      const next = await store.appendMessage('used' as MailboxId, { parts: [Buffer.from('Subject: next\r\n\r\n')] });
      assert.deepEqual([next.message.uid, next.message.modseq], [3, 4]);
    } finally {
      await store.close();
    }
    const raw = SqliteDb.open(path);
    try {
      assert.equal(raw.raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    } finally {
      raw.close();
    }
  });

  test('a second open changes nothing (a mailbox at 1 is not moved again)', async () => {
    const path = join(dir, 'twice.sqlite');
    previousVersionFile(path);
    await (await SqliteStore.open(path)).close();
    const store = await SqliteStore.open(path);
    try {
      assert.deepEqual((await store.listMailboxes('u1' as never)).map((m) => `${m.path}@${m.highestModseq}`), ['INBOX@3', 'Untouched@1']);
    } finally {
      await store.close();
    }
  });
});
