// The outbound queue and its delivery leases.
import { newId } from '../ids.js';
import type { NewQueueEntry, QueueEntry, QueueEntryPatch, QueueId, QueueRecipient } from '../types.js';
import { hashParts, putBlob, releaseBlob, totalSize } from './blobs.js';
import { unique } from './constraints.js';
import { setClause, type SqliteDb } from './db.js';
import { metaJson, parseParts, toQueueEntry, type QueueRow } from './rows.js';

export function enqueue(db: SqliteDb, entry: NewQueueEntry): QueueEntry {
  const parts = hashParts(entry.parts);
  const now = Date.now();
  const recipients: QueueRecipient[] = entry.recipients.map((recipient) => ({
    ...recipient,
    status: 'pending',
    lastResponse: null,
  }));
  const row: QueueRow = {
    id: entry.id ?? newId<QueueId>(),
    sender: entry.from,
    recipients: JSON.stringify(recipients),
    parts: JSON.stringify(parts.map((part) => part.hash)),
    size: totalSize(parts),
    created_at: now,
    next_attempt_at: entry.nextAttemptAt?.getTime() ?? now,
    attempts: 0,
    held: entry.held ? 1 : 0,
    lease_owner: entry.lease?.owner ?? null,
    lease_until: entry.lease?.until.getTime() ?? null,
    meta: metaJson(entry.meta),
  };
  return db.write(() => {
    for (const part of parts) putBlob(db, part);
    unique(
      () => `queue entry ${row.id}`,
      () =>
        db.run(
          `INSERT INTO queue (id, sender, recipients, parts, size, created_at, next_attempt_at, attempts, held, lease_owner, lease_until, meta)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          row.id,
          row.sender,
          row.recipients,
          row.parts,
          row.size,
          row.created_at,
          row.next_attempt_at,
          row.attempts,
          row.held,
          row.lease_owner,
          row.lease_until,
          row.meta,
        ),
    );
    return toQueueEntry(row);
  });
}

export function getQueueEntry(db: SqliteDb, id: QueueId): QueueEntry | null {
  const row = db.one<QueueRow>('SELECT * FROM queue WHERE id = ?', id);
  return row ? toQueueEntry(row) : null;
}

export function listQueue(db: SqliteDb): QueueEntry[] {
  return db.all<QueueRow>('SELECT * FROM queue ORDER BY created_at, id').map(toQueueEntry);
}

/**
 * Leases due, unheld, unleased (or lease-expired) entries, oldest due first
 * (ties in insertion order).
 * BEGIN IMMEDIATE makes select-then-mark one step, so two processes never
 * lease the same entry.
 */
export function leaseQueueEntries(db: SqliteDb, owner: string, now: Date, leaseMs: number, limit: number): QueueEntry[] {
  const at = now.getTime();
  return db.write(() => {
    const due = db.all<QueueRow>(
      `SELECT * FROM queue
       WHERE held = 0 AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)
       ORDER BY next_attempt_at, rowid LIMIT ?`,
      at,
      at,
      limit,
    );
    const leased = due.map((row) => ({ ...row, lease_owner: owner, lease_until: at + leaseMs }));
    for (const row of leased) {
      db.run('UPDATE queue SET lease_owner = ?, lease_until = ? WHERE id = ?', row.lease_owner, row.lease_until, row.id);
    }
    return leased.map(toQueueEntry);
  });
}

/** Extends a lease, only for the worker that still holds it. */
export function renewQueueLease(db: SqliteDb, id: QueueId, owner: string, until: Date): boolean {
  return db.write(() => db.run('UPDATE queue SET lease_until = ? WHERE id = ? AND lease_owner = ?', until.getTime(), id, owner) === 1);
}

/** Writes a delivery attempt's outcome and frees the lease (keeps it with keepLease), unless another owner has taken the lease since. */
export function updateQueueEntry(db: SqliteDb, id: QueueId, patch: QueueEntryPatch, owner: string | null): QueueEntry | null {
  const freeLease = !(patch.keepLease === true && owner !== null);
  const set = setClause({
    recipients: patch.recipients === undefined ? undefined : JSON.stringify(patch.recipients),
    next_attempt_at: patch.nextAttemptAt?.getTime(),
    attempts: patch.attempts,
    meta: patch.meta === undefined ? undefined : metaJson(patch.meta),
    lease_owner: freeLease ? null : undefined,
    lease_until: freeLease ? null : undefined,
  });
  return db.write(() => {
    const current = db.one<{ lease_owner: string | null }>('SELECT lease_owner FROM queue WHERE id = ?', id);
    if (!current) return null;
    if (owner !== null && current.lease_owner !== owner) return null;
    if (set.sql !== '') db.run(`UPDATE queue SET ${set.sql} WHERE id = ?`, ...set.values, id);
    return getQueueEntry(db, id);
  });
}

export function setQueueHeld(db: SqliteDb, id: QueueId, held: boolean): QueueEntry | null {
  return db.write(() => {
    db.run('UPDATE queue SET held = ? WHERE id = ?', held ? 1 : 0, id);
    return getQueueEntry(db, id);
  });
}

/** `postern queue flush`: every entry not on hold becomes due now. */
export function flushQueue(db: SqliteDb, now: Date): number {
  return db.run('UPDATE queue SET next_attempt_at = ? WHERE held = 0', now.getTime());
}

export function deleteQueueEntry(db: SqliteDb, id: QueueId): boolean {
  return db.write(() => {
    const row = db.one<{ parts: string }>('SELECT parts FROM queue WHERE id = ?', id);
    if (!row) return false;
    for (const hash of parseParts(row.parts)) releaseBlob(db, hash);
    db.run('DELETE FROM queue WHERE id = ?', id);
    return true;
  });
}
