// Domains and users.
import { newId } from '../ids.js';
import { addressKey, domainKey, domainOf } from '../normalize.js';
import type { Domain, NewUser, User, UserId, UserPatch } from '../types.js';
import { unique } from './constraints.js';
import { setClause, type SqliteDb } from './db.js';
import { deleteMailboxRows } from './mailboxes.js';
import { bool, toDomain, toUser, type DomainRow, type MailboxRow, type UserRow } from './rows.js';

export function addDomain(db: SqliteDb, name: string): Domain {
  const row: DomainRow = { name: domainKey(name), created_at: Date.now() };
  unique(
    () => `domain ${row.name}`,
    () => db.run('INSERT INTO domains (name, created_at) VALUES (?, ?)', row.name, row.created_at),
  );
  return toDomain(row);
}

export function getDomain(db: SqliteDb, name: string): Domain | null {
  const row = db.one<DomainRow>('SELECT * FROM domains WHERE name = ?', domainKey(name));
  return row ? toDomain(row) : null;
}

export function listDomains(db: SqliteDb): Domain[] {
  return db.all<DomainRow>('SELECT * FROM domains ORDER BY name').map(toDomain);
}

export function deleteDomain(db: SqliteDb, name: string): boolean {
  return db.run('DELETE FROM domains WHERE name = ?', domainKey(name)) > 0;
}

export function addUser(db: SqliteDb, user: NewUser): User {
  const address = addressKey(user.address);
  const row: UserRow = {
    id: newId<UserId>(),
    address,
    domain: domainOf(address),
    password_hash: user.passwordHash,
    name: user.name ?? null,
    quota: user.quota ?? 0,
    storage_used: 0,
    disabled: bool(user.disabled ?? false),
    created_at: Date.now(),
  };
  unique(
    () => `user ${address}`,
    () =>
      db.run(
        `INSERT INTO users (id, address, domain, password_hash, name, quota, storage_used, disabled, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        row.id,
        row.address,
        row.domain,
        row.password_hash,
        row.name,
        row.quota,
        row.storage_used,
        row.disabled,
        row.created_at,
      ),
  );
  return toUser(row);
}

export function getUser(db: SqliteDb, address: string): User | null {
  const row = db.one<UserRow>('SELECT * FROM users WHERE address = ?', addressKey(address));
  return row ? toUser(row) : null;
}

export function getUserById(db: SqliteDb, id: UserId): User | null {
  const row = db.one<UserRow>('SELECT * FROM users WHERE id = ?', id);
  return row ? toUser(row) : null;
}

export function listUsers(db: SqliteDb, filter: { domain?: string } = {}): User[] {
  const rows =
    filter.domain === undefined
      ? db.all<UserRow>('SELECT * FROM users ORDER BY address')
      : db.all<UserRow>('SELECT * FROM users WHERE domain = ? ORDER BY address', domainKey(filter.domain));
  return rows.map(toUser);
}

export function countUsers(db: SqliteDb, filter: { domain?: string } = {}): number {
  const row =
    filter.domain === undefined
      ? db.one<{ n: number }>('SELECT count(*) AS n FROM users')
      : db.one<{ n: number }>('SELECT count(*) AS n FROM users WHERE domain = ?', domainKey(filter.domain));
  return row?.n ?? 0;
}

export function updateUser(db: SqliteDb, address: string, patch: UserPatch): User | null {
  const set = setClause({
    password_hash: patch.passwordHash,
    name: patch.name,
    quota: patch.quota,
    disabled: patch.disabled === undefined ? undefined : bool(patch.disabled),
  });
  const key = addressKey(address);
  return db.write(() => {
    if (set.sql !== '') db.run(`UPDATE users SET ${set.sql} WHERE address = ?`, ...set.values, key);
    return getUser(db, key);
  });
}

/** Deletes the user with its mailboxes, their messages (releasing blobs) and journal. */
export function deleteUser(db: SqliteDb, address: string): boolean {
  return db.write(() => {
    const user = db.one<{ id: string }>('SELECT id FROM users WHERE address = ?', addressKey(address));
    if (!user) return false;
    for (const mailbox of db.all<MailboxRow>('SELECT * FROM mailboxes WHERE user_id = ?', user.id)) {
      deleteMailboxRows(db, mailbox.id);
    }
    db.run('DELETE FROM users WHERE id = ?', user.id);
    return true;
  });
}
