// SEARCH and UID SEARCH over the selected mailbox (RFC 3501 §6.4.4, RFC 7162 §3.1.5 MODSEQ).
import type { MessageRecord } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import type { ImapSession } from './imap-core.js';
import { flagStateSuffices, matches, SearchSubject, unsupportedCharset, type SearchNode } from './search-match.js';
import { flagsWithRecent } from './recent.js';
import { indexedFlagQuery, searchIndexedFlags } from './search-flags.js';
import { ownMailbox, sessionState } from './session.js';
import { sortRecords } from './sort.js';
import { threadRecords } from './thread.js';

export interface SearchRequest {
  query: SearchNode[];
  terms: string[];
  isUid: boolean;
}

/** Messages tested between two turns of the event loop. */
const YIELD_EVERY = 256;

/**
 * imap-core parses the query (BAD beyond 1,000 levels of NOT/OR or 10,000
 * terms, so the recursive evaluation is bounded); the messages the session knows of are tested
 * one by one (flags, sizes, dates and the summarised headers in memory; other
 * headers, BODY and TEXT read from the store only when asked for).
 */
export async function searchMessages(ctx: MailstoreContext, mailboxId: string, request: SearchRequest, session: ImapSession): Promise<unknown[]> {
  // RFC 5256: a SORT runs as this search with its criteria in the session (read before the first wait).
  const sortCriteria = sessionState(session)?.sortCriteria ?? null;
  // RFC 5256: so does a THREAD, whose answer is built from the job the threads are put in.
  const threadJob = sessionState(session)?.threadJob ?? null;
  const mailbox = await ownMailbox(ctx.store, session, mailboxId);
  if (!mailbox) return [{ uidList: 'NONEXISTENT' }];
  const charset = unsupportedCharset(request.query);
  // RFC 3501 §6.4.4: NO [BADCHARSET (supported…)] for a charset we do not convert from.
  if (charset) return [{ uidList: 'BADCHARSET (UTF-8 US-ASCII)' }];
  const known = session.selected && session.selected.mailbox === mailbox.id ? new Set(session.selected.uidList) : null;
  // UNSEEN, DELETED, KEYWORD x … (alone, NOTed, ANDed, within a UID set): the store reads the UIDs off its flag indexes.
  // No MODSEQ key among them, so there is no highest MODSEQ to report (RFC 7162 §3.1.5).
  const indexed = !sortCriteria && !threadJob ? indexedFlagQuery(request.query) : null;
  if (indexed) return [{ uidList: await searchIndexedFlags(ctx.store, mailbox.id, indexed, known), highestModseq: 0 }];
  // A plain search on flags, UIDs and MODSEQs (UNSEEN above all) reads no headers or parts: the keys
  // it holds touch nothing else of a record (flagStateSuffices), so the lighter listing stands in.
  const flagsOnly = !sortCriteria && !threadJob && flagStateSuffices(request.query);
  const records = flagsOnly ? ((await ctx.store.listMessageFlags(mailbox.id)) as MessageRecord[]) : await ctx.store.listMessages(mailbox.id);
  const found: MessageRecord[] = [];
  let highestModseq = 0;
  for (const [index, record] of records.entries()) {
    // Keys answered from memory resolve without a real wait; yield now and then so other sessions are served meanwhile.
    if (index % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
    if (known && !known.has(record.uid)) continue;
    // RECENT, NEW and OLD (RFC 3501 §6.4.4) test this session's \Recent.
    const flags = flagsWithRecent(session, record.uid, record.flags);
    if (await matches(request.query, new SearchSubject(ctx.store, { ...record, flags }))) {
      found.push(record);
      highestModseq = Math.max(highestModseq, record.modseq);
    }
  }
  if (threadJob) {
    await threadRecords(ctx.store, found, threadJob);
    return [{ uidList: [], highestModseq: 0 }];
  }
  if (sortCriteria) return [{ uidList: sortRecords(found, sortCriteria).map((record) => record.uid), highestModseq, ordered: true }];
  return [{ uidList: found.map((record) => record.uid), highestModseq }];
}
