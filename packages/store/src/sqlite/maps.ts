// Lookup tables: virtual aliases and the sender-login map.
import { StoreError } from '../errors.js';
import { addressKey, domainKey, domainOf } from '../normalize.js';
import type { Alias, SenderLogin } from '../types.js';
import { whereClause, type SqliteDb } from './db.js';
import { toAlias, toSenderLogin, type AliasRow, type SenderLoginRow } from './rows.js';

function targetsOf(db: SqliteDb, address: string): string[] {
  return db
    .all<{ target: string }>('SELECT target FROM alias_targets WHERE address = ? ORDER BY position', address)
    .map((row) => row.target);
}

function withTargets(db: SqliteDb, rows: AliasRow[]): Alias[] {
  return rows.map((row) => toAlias(row, targetsOf(db, row.address)));
}

export function addAliasTargets(db: SqliteDb, address: string, targets: string[]): Alias {
  const key = addressKey(address);
  const keys = [...new Set(targets.map(addressKey))];
  if (keys.length === 0) throw new StoreError('invalid', `alias ${key}: give at least one target`);
  return db.write(() => {
    db.run(
      'INSERT INTO aliases (address, domain, created_at) VALUES (?, ?, ?) ON CONFLICT (address) DO NOTHING',
      key,
      domainOf(key),
      Date.now(),
    );
    for (const target of keys) {
      db.run(
        `INSERT INTO alias_targets (address, target, position)
         SELECT ?, ?, coalesce(max(position), 0) + 1 FROM alias_targets WHERE address = ?
         ON CONFLICT (address, target) DO NOTHING`,
        key,
        target,
        key,
      );
    }
    return getAlias(db, key) as Alias;
  });
}

export function getAlias(db: SqliteDb, address: string): Alias | null {
  const row = db.one<AliasRow>('SELECT * FROM aliases WHERE address = ?', addressKey(address));
  return row ? toAlias(row, targetsOf(db, row.address)) : null;
}

export function listAliases(db: SqliteDb, filter: { domain?: string } = {}): Alias[] {
  return db.read(() =>
    withTargets(
      db,
      filter.domain === undefined
        ? db.all<AliasRow>('SELECT * FROM aliases ORDER BY address')
        : db.all<AliasRow>('SELECT * FROM aliases WHERE domain = ? ORDER BY address', domainKey(filter.domain)),
    ),
  );
}

export function findAliasesByTarget(db: SqliteDb, target: string): Alias[] {
  return db.read(() =>
    withTargets(
      db,
      db.all<AliasRow>(
        `SELECT aliases.* FROM alias_targets JOIN aliases USING (address)
         WHERE alias_targets.target = ? ORDER BY aliases.address`,
        addressKey(target),
      ),
    ),
  );
}

export function removeAlias(db: SqliteDb, address: string, target?: string): boolean {
  const key = addressKey(address);
  if (target === undefined) return db.run('DELETE FROM aliases WHERE address = ?', key) > 0;
  return db.write(() => {
    const removed = db.run('DELETE FROM alias_targets WHERE address = ? AND target = ?', key, addressKey(target)) > 0;
    db.run('DELETE FROM aliases WHERE address = ? AND NOT EXISTS (SELECT 1 FROM alias_targets WHERE address = ?)', key, key);
    return removed;
  });
}

/** Idempotent: adding a pair that exists returns the existing record. */
export function addSenderLogin(db: SqliteDb, address: string, login: string): SenderLogin {
  const pair = [addressKey(address), addressKey(login)] as const;
  return db.write(() => {
    db.run(
      'INSERT INTO sender_logins (address, login, created_at) VALUES (?, ?, ?) ON CONFLICT (address, login) DO NOTHING',
      ...pair,
      Date.now(),
    );
    return toSenderLogin(
      db.one<SenderLoginRow>('SELECT * FROM sender_logins WHERE address = ? AND login = ?', ...pair) as SenderLoginRow,
    );
  });
}

export function removeSenderLogin(db: SqliteDb, address: string, login: string): boolean {
  return db.run('DELETE FROM sender_logins WHERE address = ? AND login = ?', addressKey(address), addressKey(login)) > 0;
}

export function listSenderLogins(db: SqliteDb, filter: { address?: string; login?: string } = {}): SenderLogin[] {
  const where = whereClause({
    address: filter.address === undefined ? undefined : addressKey(filter.address),
    login: filter.login === undefined ? undefined : addressKey(filter.login),
  });
  return db
    .all<SenderLoginRow>(`SELECT * FROM sender_logins ${where.sql} ORDER BY address, login`, ...where.values)
    .map(toSenderLogin);
}
