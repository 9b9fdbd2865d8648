// FETCH and UID FETCH (RFC 3501 §6.4.5, RFC 7162 §3.1.4 CHANGEDSINCE).
import type { MailboxId, MessageRecord, Store } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import { servedBytes } from '../memory-release.js';
import { canReadAhead, readAhead, type ReadAhead } from './fetch-ahead.js';
import { fetchValues, FetchedMessage } from './fetch-values.js';
import { answerFetchVanished } from './fetch-vanished.js';
import { imapHandler, type FetchQueryItem, type ImapSession } from './imap-core.js';
import { announceKeywords } from './keywords.js';
import type { JournalNotifier } from './notifier.js';
import { flagsWithRecent } from './recent.js';
import { selectedMailboxRow } from './selected-mailbox.js';
import { isClosed, ownMailbox, sessionState, writeResponse } from './session.js';
import { saveStructures } from './structure.js';
import { pageSelector } from './uid-sets.js';

export interface FetchOptions {
  messages: number[];
  query: FetchQueryItem[];
  markAsSeen: boolean;
  changedSince: number;
  isUid: boolean;
}

/** Messages read from the store per round trip. */
const PAGE = 200;

/** RFC 3501 §7.4.2: a partial body is answered as BODY[section]<origin>, without the length. */
function labelPartials(query: FetchQueryItem[]): void {
  for (const item of query) {
    if (item.partial && item.original.partial) item.original.partial = [String(item.partial.startFrom)];
  }
}

async function markSeen(store: Store, notifier: JournalNotifier, session: ImapSession, mailboxId: string, records: MessageRecord[]): Promise<boolean> {
  const unseen = records.filter((record) => !record.flags.some((flag) => flag.toLowerCase() === '\\seen')).map((record) => record.uid);
  if (unseen.length === 0) return false;
  const result = await store.updateFlags(mailboxId as MailboxId, unseen, { op: 'add', flags: ['\\Seen'] });
  notifier.ownChanges(mailboxId, result.updated.map((change) => change.modseq), session);
  const changed = new Map(result.updated.map((change) => [change.uid, change]));
  for (const record of records) {
    const change = changed.get(record.uid);
    if (change) {
      record.flags = change.flags;
      record.modseq = change.modseq;
    }
  }
  return result.updated.length > 0;
}

/**
 * Streams one untagged FETCH per message, page by page, waiting on the socket
 * when the client reads slowly. BODY[]/BODY[HEADER]/BODY[TEXT] are the stored
 * bytes; parts and BODYSTRUCTURE come from imap-core's MIME parser.
 */
export async function fetchMessages(ctx: MailstoreContext, notifier: JournalNotifier, mailboxId: string, options: FetchOptions, session: ImapSession): Promise<unknown[]> {
  // VANISHED needs the mailbox's current UIDNEXT; otherwise the row read at the first FETCH of the selection serves.
  const mailbox = sessionState(session)?.vanishedRequest ? await ownMailbox(ctx.store, session, mailboxId) : await selectedMailboxRow(ctx.store, session, mailboxId);
  if (!mailbox) return ['NONEXISTENT'];
  labelPartials(options.query);
  await answerFetchVanished(ctx.store, session, mailbox, options.changedSince);
  const utf8 = session.isUTF8Enabled();
  const wantsFlags = options.query.some((item) => item.item === 'flags');
  // RFC 3501 §5.5: a client pipelining one UID FETCH per message has its next messages read in the same round trip.
  const readsAhead = options.messages.length === 1 && !options.markAsSeen && !options.changedSince && canReadAhead(options.query);
  let seenChanged = false;
  let rows = 0;
  let bytes = 0;
  const parsed: { id: MessageRecord['id']; meta: Record<string, unknown> }[] = [];
  for (let start = 0; start < options.messages.length; start += PAGE) {
    if (isClosed(session)) break;
    const page = options.messages.slice(start, start + PAGE);
    const ahead = readsAhead ? await readAhead(ctx.store, session, mailbox.id, page[0]!) : null;
    let entries: ReadAhead[] = ahead ? [ahead] : (await ctx.store.listMessages(mailbox.id, { uids: pageSelector(page) })).map((record) => ({ record, raw: null }));
    // Fewer messages than the session knows: the remembered mailbox may have been deleted since.
    if (start === 0 && entries.length < page.length && !(await selectedMailboxRow(ctx.store, session, mailboxId, true))) return ['NONEXISTENT'];
    if (options.changedSince) entries = entries.filter(({ record }) => record.modseq > options.changedSince);
    const records = entries.map(({ record }) => record);
    if (options.markAsSeen && (await markSeen(ctx.store, notifier, session, mailbox.id, records))) seenChanged = true;
    for (const { record, raw } of entries) {
      // RFC 3501 §2.3.2: \Recent is per session, so it is added here, not stored.
      record.flags = flagsWithRecent(session, record.uid, record.flags);
      if (wantsFlags) announceKeywords(session, record.flags);
      const message = new FetchedMessage(ctx.store, record, raw);
      const values = await fetchValues(message, options.query, utf8);
      if (message.newMeta) parsed.push({ id: record.id, meta: message.newMeta });
      const response = session.formatResponse('FETCH', record.uid, { query: options.query, values });
      // A message this session has not been told about yet (or was told is gone) is not answered.
      if (!response) continue;
      const compiled = imapHandler.compiler(response);
      bytes += compiled.length;
      await writeResponse(session, { compiled });
      rows++;
    }
  }
  if (seenChanged) notifier.changed(mailbox.id);
  if (parsed.length > 0) void saveStructures(ctx.store, parsed);
  servedBytes(bytes);
  return [true, { rowCount: rows }];
}
