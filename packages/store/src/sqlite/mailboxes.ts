// Mailboxes: creation, hierarchy rename, subscription, deletion.
import { StoreConflictError, StoreNotFoundError } from '../errors.js';
import { newId, newUidValidity } from '../ids.js';
import { NEW_MAILBOX_MODSEQ } from '../modseq.js';
import type { Mailbox, MailboxId, NewMailbox, UserId } from '../types.js';
import { uniqueWithParent } from './constraints.js';
import type { SqliteDb } from './db.js';
import { releaseBlob } from './blobs.js';
import { bool, parseParts, toMailbox, type MailboxRow } from './rows.js';

export function createMailbox(db: SqliteDb, userId: UserId, path: string, options: NewMailbox = {}): Mailbox {
  const row: MailboxRow = {
    id: newId<MailboxId>(),
    user_id: userId,
    path,
    special_use: options.specialUse ?? null,
    subscribed: bool(options.subscribed ?? false),
    uid_validity: options.uidValidity ?? newUidValidity(),
    uid_next: 1,
    highest_modseq: NEW_MAILBOX_MODSEQ,
    recent_uid: 0,
    created_at: Date.now(),
  };
  uniqueWithParent(
    () => `mailbox ${path}`,
    () => `user ${userId}`,
    () =>
      db.run(
        `INSERT INTO mailboxes (id, user_id, path, special_use, subscribed, uid_validity, uid_next, highest_modseq, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        row.id,
        row.user_id,
        row.path,
        row.special_use,
        row.subscribed,
        row.uid_validity,
        row.uid_next,
        row.highest_modseq,
        row.created_at,
      ),
  );
  return toMailbox(row);
}

export function getMailbox(db: SqliteDb, userId: UserId, path: string): Mailbox | null {
  const row = db.one<MailboxRow>('SELECT * FROM mailboxes WHERE user_id = ? AND path = ?', userId, path);
  return row ? toMailbox(row) : null;
}

export function getMailboxById(db: SqliteDb, id: MailboxId): Mailbox | null {
  const row = db.one<MailboxRow>('SELECT * FROM mailboxes WHERE id = ?', id);
  return row ? toMailbox(row) : null;
}

/** The mailbox, or StoreNotFoundError: for writes that need it to exist. */
export function requireMailbox(db: SqliteDb, id: MailboxId): Mailbox {
  const mailbox = getMailboxById(db, id);
  if (!mailbox) throw new StoreNotFoundError(`mailbox ${id} does not exist`);
  return mailbox;
}

export function listMailboxes(db: SqliteDb, userId: UserId): Mailbox[] {
  return db.all<MailboxRow>('SELECT * FROM mailboxes WHERE user_id = ? ORDER BY path', userId).map(toMailbox);
}

/**
 * Renames `from` and every `from/…` below it, keeping UIDVALIDITY (RFC 3501
 * §6.3.5). Refuses, renaming nothing, when any target path is taken.
 */
export function renameMailbox(db: SqliteDb, userId: UserId, from: string, to: string): Mailbox[] {
  return db.write(() => {
    const moving = db.all<MailboxRow>(
      // `from/` ≤ path < `from0` is exactly "path starts with from/" ('0' follows '/'), on the index
      `SELECT * FROM mailboxes WHERE user_id = ? AND (path = ? OR (path >= ? AND path < ?)) ORDER BY path`,
      userId,
      from,
      `${from}/`,
      `${from}0`,
    );
    if (!moving.some((row) => row.path === from)) throw new StoreNotFoundError(`mailbox ${from} does not exist`);
    const renamed = moving.map((row) => ({ ...row, path: to + row.path.slice(from.length) }));
    for (const row of renamed) {
      if (getMailbox(db, userId, row.path)) throw new StoreConflictError(`mailbox ${row.path} already exists`);
    }
    for (const row of renamed) db.run('UPDATE mailboxes SET path = ? WHERE id = ?', row.path, row.id);
    // a common prefix swapped for another keeps the path order
    return renamed.map(toMailbox);
  });
}

export function setSubscribed(db: SqliteDb, id: MailboxId, subscribed: boolean): Mailbox | null {
  return db.write(() => {
    db.run('UPDATE mailboxes SET subscribed = ? WHERE id = ?', bool(subscribed), id);
    return getMailboxById(db, id);
  });
}

/** See Store.claimRecent: read and raise under one write lock, so two claimers never share a UID. */
export function claimRecent(db: SqliteDb, id: MailboxId, upTo: number): number {
  return db.write(() => {
    const mailbox = requireMailbox(db, id);
    if (upTo > mailbox.recentUid) db.run('UPDATE mailboxes SET recent_uid = ? WHERE id = ?', upTo, id);
    return mailbox.recentUid;
  });
}

/** See Store.raiseUidNext: one UPDATE under the write lock that allocateUid also takes. */
export function raiseUidNext(db: SqliteDb, id: MailboxId, uidNext: number): Mailbox {
  return db.write(() => {
    requireMailbox(db, id);
    db.run('UPDATE mailboxes SET uid_next = ? WHERE id = ? AND uid_next < ?', uidNext, id, uidNext);
    return requireMailbox(db, id);
  });
}

/**
 * Deletes a mailbox's messages (releasing their blobs and the owner's storage),
 * its journal and the mailbox itself. Call inside a write transaction.
 */
export function deleteMailboxRows(db: SqliteDb, id: string): boolean {
  const messages = db.all<{ parts: string; size: number; user_id: string }>(
    'SELECT parts, size, user_id FROM messages WHERE mailbox_id = ?',
    id,
  );
  for (const message of messages) {
    for (const hash of parseParts(message.parts)) releaseBlob(db, hash);
    db.run('UPDATE users SET storage_used = storage_used - ? WHERE id = ?', message.size, message.user_id);
  }
  db.run('DELETE FROM messages WHERE mailbox_id = ?', id);
  db.run('DELETE FROM journal WHERE mailbox_id = ?', id);
  return db.run('DELETE FROM mailboxes WHERE id = ?', id) > 0;
}

export function deleteMailbox(db: SqliteDb, id: MailboxId): boolean {
  return db.write(() => deleteMailboxRows(db, id));
}
