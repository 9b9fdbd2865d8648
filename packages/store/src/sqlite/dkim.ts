// DKIM signing keys, one per (domain, selector).
import { domainKey } from '../normalize.js';
import type { DkimKey, DkimKeyPatch, NewDkimKey } from '../types.js';
import { unique } from './constraints.js';
import { setClause, type SqliteDb } from './db.js';
import { bool, toDkimKey, type DkimKeyRow } from './rows.js';

export function addDkimKey(db: SqliteDb, key: NewDkimKey): DkimKey {
  const row: DkimKeyRow = {
    domain: domainKey(key.domain),
    selector: key.selector,
    algorithm: key.algorithm,
    private_key: key.privateKey,
    public_key: key.publicKey,
    active: bool(key.active ?? true),
    created_at: Date.now(),
    retire_at: null,
    activate_at: key.activateAt?.getTime() ?? null,
  };
  unique(
    () => `DKIM selector ${row.selector} for ${row.domain}`,
    () =>
      db.run(
        `INSERT INTO dkim_keys (domain, selector, algorithm, private_key, public_key, active, created_at, retire_at, activate_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        row.domain,
        row.selector,
        row.algorithm,
        row.private_key,
        row.public_key,
        row.active,
        row.created_at,
        row.retire_at,
        row.activate_at,
      ),
  );
  return toDkimKey(row);
}

/** Oldest first; rowid breaks ties between keys made in the same millisecond. */
export function listDkimKeys(db: SqliteDb, domain: string): DkimKey[] {
  return db
    .all<DkimKeyRow>('SELECT * FROM dkim_keys WHERE domain = ? ORDER BY created_at, rowid', domainKey(domain))
    .map(toDkimKey);
}

function getDkimKey(db: SqliteDb, domain: string, selector: string): DkimKey | null {
  const row = db.one<DkimKeyRow>('SELECT * FROM dkim_keys WHERE domain = ? AND selector = ?', domain, selector);
  return row ? toDkimKey(row) : null;
}

export function updateDkimKey(
  db: SqliteDb,
  domain: string,
  selector: string,
  patch: DkimKeyPatch,
): DkimKey | null {
  const key = domainKey(domain);
  const set = setClause({
    active: patch.active === undefined ? undefined : bool(patch.active),
    retire_at: patch.retireAt === undefined ? undefined : (patch.retireAt?.getTime() ?? null),
    activate_at: patch.activateAt === undefined ? undefined : (patch.activateAt?.getTime() ?? null),
  });
  return db.write(() => {
    if (set.sql !== '') db.run(`UPDATE dkim_keys SET ${set.sql} WHERE domain = ? AND selector = ?`, ...set.values, key, selector);
    return getDkimKey(db, key, selector);
  });
}

export function deleteDkimKey(db: SqliteDb, domain: string, selector: string): boolean {
  return db.run('DELETE FROM dkim_keys WHERE domain = ? AND selector = ?', domainKey(domain), selector) > 0;
}
