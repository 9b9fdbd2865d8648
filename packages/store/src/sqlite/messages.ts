// Messages: UID/MODSEQ allocation, flags, copy/move, expunge and the change journal.
import { JournalPrunedError, StoreError } from '../errors.js';
import { applyFlagOperation, normalizeFlags, sameFlags } from '../flags.js';
import { newId } from '../ids.js';
import { journalPrunedAfter, NEW_MAILBOX_MODSEQ } from '../modseq.js';
import type {
  AppendResult,
  CopyResult,
  FlagUpdate,
  FlagUpdateResult,
  JournalEntry,
  Mailbox,
  MailboxId,
  MessageId,
  MessageCountFilter,
  MessageFlags,
  MessageQuery,
  MessageRecord,
  ModSeq,
  NewMessage,
  Uid,
} from '../types.js';
import { addBlobRef, hashParts, putBlob, releaseBlob, totalSize } from './blobs.js';
import type { SqlValue, SqliteDb } from './db.js';
import { requireMailbox } from './mailboxes.js';
import {
  hasDeleted,
  hasSeen,
  headersJson,
  metaJson,
  parseFlags,
  parseParts,
  toJournalEntry,
  toMessage,
  type JournalRow,
  type MessageRow,
} from './rows.js';

/** A message's stored content, as it is inserted into a mailbox (new or copied). */
interface MessageContent {
  flags: string[];
  internal_date: number;
  size: number;
  headers: string;
  parts: string;
  meta: string | null;
}

/**
 * RFC 3501 §2.3.1.1 / RFC 7162 §3.1: takes the mailbox's next UID and next
 * MODSEQ in one statement. Call inside a write transaction.
 */
function allocateUid(db: SqliteDb, mailboxId: MailboxId): { uid: Uid; modseq: ModSeq } {
  return db.one<{ uid: Uid; modseq: ModSeq }>(
    `UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1
     WHERE id = ? RETURNING uid_next - 1 AS uid, highest_modseq AS modseq`,
    mailboxId,
  ) as { uid: Uid; modseq: ModSeq };
}

/** The mailbox's next MODSEQ, for a change to an existing message. Call inside a write transaction. */
function allocateModseq(db: SqliteDb, mailboxId: MailboxId): ModSeq {
  return (
    db.one<{ modseq: ModSeq }>(
      'UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING highest_modseq AS modseq',
      mailboxId,
    ) as { modseq: ModSeq }
  ).modseq;
}

function journal(db: SqliteDb, row: JournalRow): void {
  db.run(
    'INSERT INTO journal (mailbox_id, modseq, kind, uid, message_id, flags, written_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    row.mailbox_id,
    row.modseq,
    row.kind,
    row.uid,
    row.message_id,
    row.flags,
    Date.now(),
  );
}

/** Inserts a message with the next UID, journals `append` and charges the owner's storage. */
function insertMessage(db: SqliteDb, mailbox: Mailbox, content: MessageContent, deliveryId: string | null = null): MessageRecord {
  const { uid, modseq } = allocateUid(db, mailbox.id);
  const flags = JSON.stringify(content.flags);
  const row: MessageRow = {
    ...content,
    id: newId<MessageId>(),
    mailbox_id: mailbox.id,
    user_id: mailbox.userId,
    uid,
    modseq,
    flags,
    seen: hasSeen(content.flags),
    deleted: hasDeleted(content.flags),
    delivery_id: deliveryId,
  };
  db.run(
    `INSERT INTO messages (id, mailbox_id, user_id, uid, modseq, flags, seen, deleted, internal_date, size, headers, parts, meta, delivery_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    row.id,
    row.mailbox_id,
    row.user_id,
    row.uid,
    row.modseq,
    row.flags,
    row.seen,
    row.deleted,
    row.internal_date,
    row.size,
    row.headers,
    row.parts,
    row.meta,
    deliveryId,
  );
  journal(db, { mailbox_id: mailbox.id, modseq, kind: 'append', uid, message_id: row.id, flags });
  db.run('UPDATE users SET storage_used = storage_used + ? WHERE id = ?', row.size, row.user_id);
  return toMessage(row);
}

/** The selected messages of a mailbox in ascending UID order; unknown UIDs are left out. */
function selectByUids(db: SqliteDb, mailboxId: MailboxId, uids: readonly Uid[]): MessageRow[] {
  return db.all<MessageRow>(
    'SELECT * FROM messages WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid',
    mailboxId,
    JSON.stringify(uids),
  );
}

export function appendMessage(db: SqliteDb, mailboxId: MailboxId, message: NewMessage): AppendResult {
  // hashing happens before the write lock is taken
  const parts = hashParts(message.parts);
  const content: MessageContent = {
    flags: normalizeFlags(message.flags ?? []),
    internal_date: (message.internalDate ?? new Date()).getTime(),
    size: totalSize(parts),
    headers: headersJson(message.headers ?? {}),
    parts: JSON.stringify(parts.map((part) => part.hash)),
    meta: metaJson(message.meta),
  };
  return db.write(() => {
    const mailbox = requireMailbox(db, mailboxId);
    const deliveryId = message.deliveryId ?? null;
    // The check and the insert share one write transaction; the UNIQUE index messages_by_delivery backs it.
    const earlier = deliveryId === null ? null : db.one<MessageRow>('SELECT * FROM messages WHERE mailbox_id = ? AND delivery_id = ?', mailboxId, deliveryId);
    if (earlier) return { message: toMessage(earlier), mailbox, duplicate: true };
    for (const part of parts) putBlob(db, part);
    const stored = insertMessage(db, mailbox, content, deliveryId);
    return { message: stored, mailbox: requireMailbox(db, mailboxId) };
  });
}

export function getMessage(db: SqliteDb, mailboxId: MailboxId, uid: Uid): MessageRecord | null {
  const row = db.one<MessageRow>('SELECT * FROM messages WHERE mailbox_id = ? AND uid = ?', mailboxId, uid);
  return row ? toMessage(row) : null;
}

export function getMessageById(db: SqliteDb, id: MessageId): MessageRecord | null {
  const row = db.one<MessageRow>('SELECT * FROM messages WHERE id = ?', id);
  return row ? toMessage(row) : null;
}

/** The WHERE clause of a MessageQuery over one mailbox, with its values. */
function messageWhere(mailboxId: MailboxId, query: MessageQuery): { where: string; values: SqlValue[] } {
  const where = ['mailbox_id = ?'];
  const values: SqlValue[] = [mailboxId];
  const selector = query.uids;
  if (selector !== undefined && 'uids' in selector) {
    where.push('uid IN (SELECT value FROM json_each(?))');
    values.push(JSON.stringify(selector.uids));
  } else if (selector !== undefined) {
    where.push('uid >= ?');
    values.push(selector.min);
    if (selector.max !== null) {
      where.push('uid <= ?');
      values.push(selector.max);
    }
  }
  if (query.changedSince !== undefined) {
    where.push('modseq > ?');
    values.push(query.changedSince);
  }
  return { where: where.join(' AND '), values };
}

export function listMessages(db: SqliteDb, mailboxId: MailboxId, query: MessageQuery = {}): MessageRecord[] {
  const { where, values } = messageWhere(mailboxId, query);
  return db.all<MessageRow>(`SELECT * FROM messages WHERE ${where} ORDER BY uid`, ...values).map(toMessage);
}

export function listMessageFlags(db: SqliteDb, mailboxId: MailboxId, query: MessageQuery = {}): MessageFlags[] {
  const { where, values } = messageWhere(mailboxId, query);
  return db
    .all<Pick<MessageRow, 'uid' | 'modseq' | 'flags'>>(`SELECT uid, modseq, flags FROM messages WHERE ${where} ORDER BY uid`, ...values)
    .map((row) => ({ uid: row.uid, modseq: row.modseq, flags: parseFlags(row.flags) }));
}

export function countMessages(db: SqliteDb, mailboxId: MailboxId, filter: MessageCountFilter = {}): number {
  const where = ['mailbox_id = ?'];
  const params: SqlValue[] = [mailboxId];
  if (filter.unseen) where.push('seen = 0');
  if (filter.aboveUid !== undefined) {
    where.push('uid > ?');
    params.push(filter.aboveUid);
  }
  return db.one<{ n: number }>(`SELECT count(*) AS n FROM messages WHERE ${where.join(' AND ')}`, ...params)?.n ?? 0;
}

/** RFC 3501 §6.4.6 STORE, with RFC 7162 §3.1.3 UNCHANGEDSINCE. */
export function updateFlags(db: SqliteDb, mailboxId: MailboxId, uids: Uid[], update: FlagUpdate): FlagUpdateResult {
  return db.write(() => {
    requireMailbox(db, mailboxId);
    const updated: FlagUpdateResult['updated'] = [];
    const modified: Uid[] = [];
    for (const row of selectByUids(db, mailboxId, uids)) {
      if (update.unchangedSince !== undefined && row.modseq > update.unchangedSince) {
        modified.push(row.uid);
        continue;
      }
      const current = parseFlags(row.flags);
      const next = applyFlagOperation(current, update.op, update.flags);
      if (sameFlags(current, next)) continue;
      const modseq = allocateModseq(db, mailboxId);
      const flags = JSON.stringify(next);
      db.run('UPDATE messages SET flags = ?, seen = ?, deleted = ?, modseq = ? WHERE id = ?', flags, hasSeen(next), hasDeleted(next), modseq, row.id);
      journal(db, { mailbox_id: mailboxId, modseq, kind: 'flags', uid: row.uid, message_id: row.id, flags });
      updated.push({ uid: row.uid, flags: next, modseq });
    }
    return { updated, modified, mailbox: requireMailbox(db, mailboxId) };
  });
}

export function setMessageMeta(db: SqliteDb, id: MessageId, meta: Record<string, unknown> | null): void {
  db.run('UPDATE messages SET meta = ? WHERE id = ?', metaJson(meta), id);
}

/** RFC 3501 §6.4.7 COPY: new UIDs in source order, parts shared, \Recent not carried over. */
export function copyMessages(db: SqliteDb, from: MailboxId, uids: Uid[], to: MailboxId): CopyResult {
  return db.write(() => {
    const source = requireMailbox(db, from);
    const destination = requireMailbox(db, to);
    if (source.userId !== destination.userId) {
      throw new StoreError('invalid', `mailboxes ${from} and ${to} belong to different users`);
    }
    const uidMap: CopyResult['uidMap'] = [];
    for (const row of selectByUids(db, from, uids)) {
      const parts = parseParts(row.parts);
      for (const hash of parts) addBlobRef(db, hash);
      const copy = insertMessage(db, destination, {
        flags: parseFlags(row.flags).filter((flag) => flag !== '\\Recent'),
        internal_date: row.internal_date,
        size: row.size,
        headers: row.headers,
        parts: row.parts,
        meta: row.meta,
      });
      uidMap.push({ sourceUid: row.uid, destinationUid: copy.uid });
    }
    return { uidMap, uidValidity: destination.uidValidity, mailbox: requireMailbox(db, to) };
  });
}

/** RFC 6851 MOVE: copy, then expunge the originals, in one transaction. */
export function moveMessages(db: SqliteDb, from: MailboxId, uids: Uid[], to: MailboxId): CopyResult {
  return db.write(() => {
    const copied = copyMessages(db, from, uids, to);
    expungeMessages(db, from, copied.uidMap.map((pair) => pair.sourceUid));
    return { ...copied, mailbox: requireMailbox(db, to) };
  });
}

/** Removes messages in ascending UID order, one journaled `expunge` each (RFC 7162 §3.2.10). */
export function expungeMessages(db: SqliteDb, mailboxId: MailboxId, uids: Uid[]): Uid[] {
  return db.write(() => {
    requireMailbox(db, mailboxId);
    const expunged: Uid[] = [];
    for (const row of selectByUids(db, mailboxId, uids)) {
      const modseq = allocateModseq(db, mailboxId);
      db.run('DELETE FROM messages WHERE id = ?', row.id);
      journal(db, { mailbox_id: mailboxId, modseq, kind: 'expunge', uid: row.uid, message_id: row.id, flags: null });
      for (const hash of parseParts(row.parts)) releaseBlob(db, hash);
      db.run('UPDATE users SET storage_used = storage_used - ? WHERE id = ?', row.size, row.user_id);
      expunged.push(row.uid);
    }
    return expunged;
  });
}

export function readJournal(db: SqliteDb, mailboxId: MailboxId, since: ModSeq, limit?: number): JournalEntry[] {
  return db.read(() => {
    // Pruning takes a prefix: the oldest entry kept tells how far it went.
    const oldest = db.one<{ modseq: number | null }>('SELECT MIN(modseq) AS modseq FROM journal WHERE mailbox_id = ?', mailboxId)?.modseq ?? null;
    if (oldest !== null && journalPrunedAfter(since, oldest)) throw new JournalPrunedError(mailboxId, since, oldest);
    return db
      .all<JournalRow>('SELECT * FROM journal WHERE mailbox_id = ? AND modseq > ? ORDER BY modseq LIMIT ?', mailboxId, since, limit ?? -1)
      .map(toJournalEntry);
  });
}

/** Entries deleted per write transaction, so that pruning a large journal never holds the lock (or the event loop) for long. */
const PRUNE_BATCH = 1000;

/** Runs one attempt of a store step, repeating it while the database is locked (SqliteStore's retry). */
export type Retry = <T>(operation: string, attempt: () => T) => Promise<T>;

/** Journal retention: per mailbox, the prefix of entries written before `before`, except the newest entry. */
export async function pruneJournal(db: SqliteDb, before: Date, retry: Retry): Promise<number> {
  const cutoff = before.getTime();
  const mailboxes = await retry('pruneJournal', () => db.all<{ id: MailboxId; highest: number }>('SELECT id, highest_modseq AS highest FROM mailboxes WHERE highest_modseq > ?', NEW_MAILBOX_MODSEQ));
  let pruned = 0;
  for (const { id, highest } of mailboxes) {
    const newestOld = await retry('pruneJournal', () => db.one<{ modseq: number | null }>('SELECT MAX(modseq) AS modseq FROM journal WHERE mailbox_id = ? AND written_at < ?', id, cutoff)?.modseq ?? null);
    if (newestOld === null) continue;
    // highest_modseq only grows, so the entry that was newest when we looked stays kept.
    const upto = Math.min(newestOld, highest - 1);
    for (;;) {
      const deleted = await retry('pruneJournal', () =>
        db.write(() =>
          db.run('DELETE FROM journal WHERE mailbox_id = ? AND modseq IN (SELECT modseq FROM journal WHERE mailbox_id = ? AND modseq <= ? ORDER BY modseq LIMIT ?)', id, id, upto, PRUNE_BATCH),
        ),
      );
      pruned += deleted;
      if (deleted < PRUNE_BATCH) break;
      // Let the sessions of this process run between batches (better-sqlite3 is synchronous).
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return pruned;
}
