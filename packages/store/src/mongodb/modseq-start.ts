// The MongoDB counterpart of SQLite migration 12: never-changed mailboxes start at MODSEQ 1.
import type { Db } from 'mongodb';
import { NEW_MAILBOX_MODSEQ } from '../modseq.js';
import type { MailboxDoc } from './collections.js';

/**
 * RFC 7162 §3.1.1: a mailbox stored with highestModseq 0 (none of its own
 * changes yet, made before NEW_MAILBOX_MODSEQ) moves to 1; a mailbox with
 * changes keeps its value. Idempotent, so it runs at every open; one document
 * at a time is atomic, and the UID/MODSEQ allocator's compare-and-set on the
 * value it read makes an append racing this update retry from 1.
 */
export async function startNeverChangedMailboxesAtOne(db: Db): Promise<number> {
  const result = await db.collection<MailboxDoc>('mailboxes').updateMany({ highestModseq: 0 }, { $set: { highestModseq: NEW_MAILBOX_MODSEQ } });
  return result.modifiedCount;
}
