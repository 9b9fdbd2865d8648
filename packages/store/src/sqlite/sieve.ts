// Sieve scripts per user (RFC 5804) and the vacation memory (RFC 5230 §4.2).
import type { SieveDeleteResult, SieveScriptRecord, UserId } from '../types.js';
import { unique } from './constraints.js';
import type { SqliteDb } from './db.js';

interface SieveScriptRow {
  user_id: string;
  name: string;
  content: string;
  size: number;
  active: number;
  updated_at: number;
}

function toRecord(row: SieveScriptRow): SieveScriptRecord {
  return {
    userId: row.user_id as UserId,
    name: row.name,
    content: row.content,
    size: row.size,
    active: row.active === 1,
    updatedAt: new Date(row.updated_at),
  };
}

export function getSieveScript(db: SqliteDb, userId: UserId, name: string): SieveScriptRecord | null {
  const row = db.one<SieveScriptRow>('SELECT * FROM sieve_scripts WHERE user_id = ? AND name = ?', userId, name);
  return row ? toRecord(row) : null;
}

export function putSieveScript(db: SqliteDb, userId: UserId, name: string, content: string): SieveScriptRecord {
  return db.write(() => {
    db.run(
      `INSERT INTO sieve_scripts (user_id, name, content, size, active, updated_at) VALUES (?, ?, ?, ?, 0, ?)
       ON CONFLICT (user_id, name) DO UPDATE SET content = excluded.content, size = excluded.size, updated_at = excluded.updated_at`,
      userId,
      name,
      content,
      Buffer.byteLength(content, 'utf8'),
      Date.now(),
    );
    return getSieveScript(db, userId, name) as SieveScriptRecord;
  });
}

export function listSieveScripts(db: SqliteDb, userId: UserId): SieveScriptRecord[] {
  return db.all<SieveScriptRow>('SELECT * FROM sieve_scripts WHERE user_id = ? ORDER BY name', userId).map(toRecord);
}

export function getActiveSieveScript(db: SqliteDb, userId: UserId): SieveScriptRecord | null {
  const row = db.one<SieveScriptRow>('SELECT * FROM sieve_scripts WHERE user_id = ? AND active = 1', userId);
  return row ? toRecord(row) : null;
}

export function setActiveSieveScript(db: SqliteDb, userId: UserId, name: string | null): boolean {
  return db.write(() => {
    if (name !== null && !db.one('SELECT 1 FROM sieve_scripts WHERE user_id = ? AND name = ?', userId, name)) return false;
    // One transaction: the partial unique index never sees two active scripts.
    db.run('UPDATE sieve_scripts SET active = 0 WHERE user_id = ? AND active = 1', userId);
    if (name !== null) db.run('UPDATE sieve_scripts SET active = 1 WHERE user_id = ? AND name = ?', userId, name);
    return true;
  });
}

export function renameSieveScript(db: SqliteDb, userId: UserId, from: string, to: string): boolean {
  return unique(
    () => `Sieve script ${to}`,
    () => db.run('UPDATE sieve_scripts SET name = ?, updated_at = ? WHERE user_id = ? AND name = ?', to, Date.now(), userId, from) > 0,
  );
}

export function deleteSieveScript(db: SqliteDb, userId: UserId, name: string): SieveDeleteResult {
  return db.write(() => {
    if (db.run('DELETE FROM sieve_scripts WHERE user_id = ? AND name = ? AND active = 0', userId, name) > 0) return 'deleted';
    return db.one('SELECT 1 FROM sieve_scripts WHERE user_id = ? AND name = ?', userId, name) ? 'active' : 'not-found';
  });
}

export function claimVacationReply(db: SqliteDb, userId: UserId, handle: string, sender: string, now: Date, until: Date): boolean {
  return db.write(() => {
    // One statement decides: a remembered reply still running wins, an expired one is renewed.
    const claimed =
      db.run(
        `INSERT INTO vacation_replies (user_id, handle, sender, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, handle, sender) DO UPDATE SET expires_at = excluded.expires_at WHERE expires_at <= ?`,
        userId,
        handle,
        sender,
        until.getTime(),
        now.getTime(),
      ) > 0;
    db.run('DELETE FROM vacation_replies WHERE user_id = ? AND expires_at <= ?', userId, now.getTime());
    return claimed;
  });
}
