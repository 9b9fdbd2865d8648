import Database from 'better-sqlite3';
import { StoreConflictError, StoreNotFoundError } from '../errors.js';

function sqliteCode(err: unknown): string | null {
  return err instanceof Database.SqliteError ? err.code : null;
}

/** A UNIQUE index or PRIMARY KEY refused the row. */
export function isUniqueViolation(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isForeignKeyViolation(err: unknown): boolean {
  return sqliteCode(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/**
 * Runs an insert or update whose uniqueness the schema enforces, turning a
 * violation into a StoreConflictError that names the duplicate.
 */
export function unique<T>(duplicate: () => string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new StoreConflictError(`${duplicate()} already exists`);
    throw err;
  }
}

/** Like unique(), and a missing parent row (foreign key) becomes a StoreNotFoundError. */
export function uniqueWithParent<T>(duplicate: () => string, missingParent: () => string, fn: () => T): T {
  try {
    return unique(duplicate, fn);
  } catch (err) {
    if (isForeignKeyViolation(err)) throw new StoreNotFoundError(`${missingParent()} does not exist`);
    throw err;
  }
}
