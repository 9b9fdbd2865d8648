// Failed logins and bans per key, in one row each, shared by every process that opens the file.
import type { AuthBan, AuthThrottleState } from '../types.js';
import type { SqliteDb } from './db.js';

interface AuthThrottleRow {
  failures: number;
  window_start: number;
  banned_until: number;
}

function toState(row: AuthThrottleRow | undefined, now: number, windowMs: number): AuthThrottleState {
  if (!row) return { failures: 0, bannedUntil: null };
  return {
    failures: row.window_start > now - windowMs ? row.failures : 0,
    bannedUntil: row.banned_until > now ? new Date(row.banned_until) : null,
  };
}

export function recordAuthFailure(db: SqliteDb, key: string, now: Date, windowMs: number): AuthThrottleState {
  const at = now.getTime();
  return db.write(() => {
    // One statement: a failure inside the open window adds to it, one after it opens a new window.
    db.run(
      `INSERT INTO auth_throttle (key, failures, window_start, banned_until) VALUES (?, 1, ?, 0)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN window_start > ? THEN failures + 1 ELSE 1 END,
         window_start = CASE WHEN window_start > ? THEN window_start ELSE excluded.window_start END`,
      key,
      at,
      at - windowMs,
      at - windowMs,
    );
    // Rows nobody needs any more (an attacker's made-up account names among them).
    db.run('DELETE FROM auth_throttle WHERE window_start <= ? AND banned_until <= ? AND key <> ?', at - windowMs, at, key);
    return toState(db.one<AuthThrottleRow>('SELECT failures, window_start, banned_until FROM auth_throttle WHERE key = ?', key), at, windowMs);
  });
}

export function getAuthThrottle(db: SqliteDb, key: string, now: Date, windowMs: number): AuthThrottleState {
  return toState(db.one<AuthThrottleRow>('SELECT failures, window_start, banned_until FROM auth_throttle WHERE key = ?', key), now.getTime(), windowMs);
}

export function banAuth(db: SqliteDb, key: string, until: Date): void {
  db.run(
    `INSERT INTO auth_throttle (key, failures, window_start, banned_until) VALUES (?, 0, 0, ?)
     ON CONFLICT (key) DO UPDATE SET failures = 0, window_start = 0, banned_until = MAX(banned_until, excluded.banned_until)`,
    key,
    until.getTime(),
  );
}

export function listAuthBans(db: SqliteDb, now: Date): AuthBan[] {
  return db
    .all<{ key: string; banned_until: number }>('SELECT key, banned_until FROM auth_throttle WHERE banned_until > ? ORDER BY banned_until, key', now.getTime())
    .map((row) => ({ key: row.key, bannedUntil: new Date(row.banned_until) }));
}

export function liftAuthBan(db: SqliteDb, key: string): void {
  db.run('DELETE FROM auth_throttle WHERE key = ?', key);
}

export function clearAuthFailures(db: SqliteDb, key: string): void {
  db.run('UPDATE auth_throttle SET failures = 0, window_start = 0 WHERE key = ?', key);
}
