// Where a mailbox's mod-sequences start, and what that means for reading its change journal.
import type { ModSeq } from './types.js';

/**
 * The HIGHESTMODSEQ of a mailbox before its first change. RFC 7162 §3.1.1 and
 * its ABNF (`mod-sequence-value`, §7: a positive number) give every mailbox,
 * one without messages too, a positive HIGHESTMODSEQ; so a new mailbox starts
 * at 1 and its first change is 2, and a client that saw 1 and asks CHANGEDSINCE
 * 1 (or SELECT … QRESYNC with 1) is told of that change.
 */
export const NEW_MAILBOX_MODSEQ: ModSeq = 1;

/**
 * True when the journal, whose oldest kept entry is `oldestKept`, no longer
 * holds every change after `since`. Every MODSEQ after the mailbox's start has
 * its entry until retention prunes a prefix. The start is NEW_MAILBOX_MODSEQ,
 * or 0 for a mailbox whose first change got 1 (before SQLite migration 12 and
 * the MongoDB backend's start-at-1 update), so a position below 1 counts as 1:
 * nothing happened up to it in a mailbox that started at 1, and in an older one
 * only its first append, which only a reader from before the upgrade could
 * still be waiting for.
 */
export function journalPrunedAfter(since: ModSeq, oldestKept: ModSeq): boolean {
  return Math.max(since, NEW_MAILBOX_MODSEQ) < oldestKept - 1;
}
