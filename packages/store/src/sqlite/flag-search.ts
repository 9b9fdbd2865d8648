// SEARCH on flags (RFC 3501 §6.4.4) and STATUS SIZE/DELETED (RFC 8438 §3, RFC 9051 §6.3.11) from the messages' indexes.
import type { FlagCondition, FlagSearch, MailboxId, MailboxTotals, Uid } from '../types.js';
import type { SqlValue, SqliteDb } from './db.js';

/** Flags with a column of their own (schema 1 and 11), each with an index (mailbox_id, column, uid). */
const FLAG_COLUMNS: Record<string, string> = { '\\seen': 'seen', '\\deleted': 'deleted' };

/** One condition as SQL: a mirrored flag by its column, any other by the stored list (RFC 3501 §2.3.2: compared without case). */
function conditionSql(condition: FlagCondition, values: SqlValue[]): string {
  const wanted = condition.flag.toLowerCase();
  const column = FLAG_COLUMNS[wanted];
  if (column !== undefined) return `${column} = ${condition.set ? 1 : 0}`;
  values.push(wanted);
  return `${condition.set ? '' : 'NOT '}EXISTS (SELECT 1 FROM json_each(messages.flags) WHERE lower(value) = ?)`;
}

/** The statement of a FlagSearch: UIDs in UID order, off (mailbox_id, seen|deleted, uid) when it names \Seen or \Deleted. */
export function flagSearchSql(mailboxId: MailboxId, search: FlagSearch): { sql: string; values: SqlValue[] } {
  const values: SqlValue[] = [mailboxId];
  const where = ['mailbox_id = ?'];
  for (const condition of search.flags) where.push(conditionSql(condition, values));
  if (search.uids) {
    where.push('uid >= ?');
    values.push(search.uids.min);
    if (search.uids.max !== null) {
      where.push('uid <= ?');
      values.push(search.uids.max);
    }
  }
  return { sql: `SELECT uid FROM messages WHERE ${where.join(' AND ')} ORDER BY uid`, values };
}

export function searchFlags(db: SqliteDb, mailboxId: MailboxId, search: FlagSearch): Uid[] {
  const { sql, values } = flagSearchSql(mailboxId, search);
  return db.all<{ uid: Uid }>(sql, ...values).map((row) => row.uid);
}

/** Summed over messages_by_deleted (mailbox_id, deleted, uid, size), which covers the query: no row is read. */
export const TOTALS_SQL = 'SELECT SUM(size) AS size, SUM(deleted) AS deleted FROM messages WHERE mailbox_id = ?';

export function mailboxTotals(db: SqliteDb, mailboxId: MailboxId): MailboxTotals {
  const row = db.one<{ size: number | null; deleted: number | null }>(TOTALS_SQL, mailboxId);
  return { size: row?.size ?? 0, deleted: row?.deleted ?? 0 };
}
