import Database from 'better-sqlite3';
import { createPrivateFile } from './backup.js';

/** What SQLite accepts as a bound parameter (better-sqlite3 refuses booleans and undefined). */
export type SqlValue = string | number | bigint | Buffer | null;

/**
 * One connection to the database file, with its prepared statements cached
 * and a helper for write transactions.
 */
export class SqliteDb {
  private readonly statements = new Map<string, Database.Statement<SqlValue[]>>();
  private readonly transaction: Database.Transaction<(fn: () => unknown) => unknown>;

  private constructor(readonly raw: Database.Database) {
    this.transaction = raw.transaction((fn: () => unknown) => fn());
  }

  /**
   * Opens the file with the settings the store relies on: WAL so that readers
   * never wait for the writer (nor it for them), synchronous FULL so that a
   * committed write survives a power cut (SPEC: 250 means durably stored), and
   * busy_timeout 0: a lock held by another process (the MTA and the mailstore
   * share one file) fails the attempt at once instead of sleeping inside the
   * event loop; SqliteStore waits and retries on timers (busy.ts).
   */
  static open(path: string): SqliteDb {
    let raw: Database.Database;
    try {
      // The file holds every password hash and DKIM private key: created 0600 (SQLite's -wal and -shm follow it).
      createPrivateFile(path);
      raw = new Database(path);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new Error(`store: cannot open the SQLite file ${path}: ${reason}`, { cause: err });
    }
    try {
      raw.pragma('busy_timeout = 0');
      const mode = String(raw.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
      // An in-memory database has no WAL and no other process; a file must be in WAL (a file system without shared memory refuses it).
      if (mode !== 'wal' && path !== ':memory:') {
        throw new Error(`store: ${path} could not be put in WAL mode (journal_mode is ${mode}); readers would block writers: put the file on a local file system`);
      }
      raw.pragma('synchronous = FULL');
      raw.pragma('foreign_keys = ON');
    } catch (err) {
      raw.close();
      throw err;
    }
    return new SqliteDb(raw);
  }

  private prepare(sql: string): Database.Statement<SqlValue[]> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.raw.prepare<SqlValue[]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  one<Row>(sql: string, ...params: SqlValue[]): Row | undefined {
    return this.prepare(sql).get(...params) as Row | undefined;
  }

  all<Row>(sql: string, ...params: SqlValue[]): Row[] {
    return this.prepare(sql).all(...params) as Row[];
  }

  /** Runs a write statement; returns how many rows it changed. */
  run(sql: string, ...params: SqlValue[]): number {
    return this.prepare(sql).run(...params).changes;
  }

  /**
   * Runs fn inside BEGIN IMMEDIATE: the write lock is taken before the first
   * read, so read-modify-write steps (UID allocation, leases) are atomic across
   * connections and processes. Nested calls become savepoints.
   */
  write<T>(fn: () => T): T {
    return this.transaction.immediate(fn) as T;
  }

  /** Runs several reads on one snapshot (a deferred transaction). */
  read<T>(fn: () => T): T {
    return this.transaction.deferred(fn) as T;
  }

  close(): void {
    this.statements.clear();
    this.raw.close();
  }
}

/** `column = ?, …` for the fields a patch sets; undefined means leave the column as it is. */
export function setClause(fields: Record<string, SqlValue | undefined>): { sql: string; values: SqlValue[] } {
  const { sql, values } = pairs(fields);
  return { sql: sql.join(', '), values };
}

function pairs(fields: Record<string, SqlValue | undefined>): { sql: string[]; values: SqlValue[] } {
  const sql: string[] = [];
  const values: SqlValue[] = [];
  for (const [column, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    sql.push(`${column} = ?`);
    values.push(value);
  }
  return { sql, values };
}

/** `WHERE column = ? AND …` for the filters given; undefined means no filter on that column. */
export function whereClause(fields: Record<string, SqlValue | undefined>): { sql: string; values: SqlValue[] } {
  const { sql, values } = pairs(fields);
  return { sql: sql.length > 0 ? `WHERE ${sql.join(' AND ')}` : '', values };
}
