// SELECT/EXAMINE and STATUS (RFC 3501 §6.3.1-2, §6.3.10; RFC 9051 §6.3.2, §6.3.11; RFC 7162 HIGHESTMODSEQ).
import { JournalPrunedError, NEW_MAILBOX_MODSEQ, normalizeFlags, type Mailbox, type Store } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import type { ImapSession } from './imap-core.js';
import { isImap4rev2 } from './imap4rev2.js';
import { keywordsAtOpen } from './keywords.js';
import { listEntries, listLine } from './list-extended.js';
import { answerQresync } from './qresync-select.js';
import { claimAtOpen } from './recent.js';
import { sessionState, sessionUserId } from './session.js';
import { wantsTotals } from './status-size.js';

/** How far back the journal is checked for writes still in flight when a mailbox is opened. */
const SETTLE_WINDOW = 64;
const SETTLE_ATTEMPTS = 25;
const SETTLE_DELAY_MS = 20;

const SYSTEM_FLAGS = new Set(['\\seen', '\\answered', '\\flagged', '\\deleted', '\\draft', '\\recent']);

/**
 * The mailbox at a moment when every change up to its highest MODSEQ is in the
 * journal. A backend without transactions raises the MODSEQ before it writes
 * the message and its journal entry; opening the mailbox in that gap would put
 * the session's journal cursor past a change it never saw.
 */
export async function settledMailbox(store: Store, mailbox: Mailbox): Promise<Mailbox> {
  let current = mailbox;
  for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
    // A mailbox at its starting MODSEQ has no changes to wait for (an older one at 1 had its change before the upgrade).
    if (current.highestModseq <= NEW_MAILBOX_MODSEQ) return current;
    const since = Math.max(NEW_MAILBOX_MODSEQ, current.highestModseq - SETTLE_WINDOW);
    // Pruning keeps the newest entry: past a pruned stretch, only that one is looked for.
    const entries = await store.readJournal(current.id, since).catch((err: unknown) => {
      if (err instanceof JournalPrunedError) return store.readJournal(current.id, current.highestModseq - 1);
      throw err;
    });
    const reached = entries.length > 0 ? entries[entries.length - 1]!.modseq : since;
    if (reached >= current.highestModseq) return current;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_DELAY_MS));
    current = (await store.getMailboxById(current.id)) ?? current;
  }
  return current;
}

/**
 * What imap-core's SELECT needs: the mailbox id (`_id`), the UIDs in sequence
 * order, the journal position they stand at (modifyIndex), and the keywords in
 * use for FLAGS/PERMANENTFLAGS, and the \Recent count (SELECT claims the
 * messages nobody claimed yet; EXAMINE claims none). Messages appended after
 * the snapshot are left out here and announced from the journal as EXISTS, in UID order.
 */
export async function openMailbox(ctx: MailstoreContext, path: string, session: ImapSession): Promise<unknown[]> {
  const found = await ctx.store.getMailbox(sessionUserId(session), path);
  if (!found) return ['NONEXISTENT'];
  const mailbox = await settledMailbox(ctx.store, found);
  const messages = mailbox.uidNext > 1 ? await ctx.store.listMessageFlags(mailbox.id, { uids: { min: 1, max: mailbox.uidNext - 1 } }) : [];
  const keywords = new Set<string>();
  for (const message of messages) for (const flag of message.flags) if (!SYSTEM_FLAGS.has(flag.toLowerCase())) keywords.add(flag);
  const flags = normalizeFlags([...keywords]).slice(0, 100);
  keywordsAtOpen(session, flags);
  const uidList = messages.map((message) => message.uid);
  const recent = await claimAtOpen(ctx.store, session, mailbox, uidList, session.examining === true);
  await answerQresync(ctx.store, session, mailbox, messages);
  const list = await selectedMailboxList(ctx.store, session, mailbox);
  const state = sessionState(session);
  if (list && state) state.selectAnswer = [list, ...(state.selectAnswer ?? [])];
  const unseen = firstUnseen(session, messages);
  if (unseen && state) state.selectAnswer = [unseen, ...(state.selectAnswer ?? [])];
  return [
    {
      _id: mailbox.id,
      uidList,
      modifyIndex: mailbox.highestModseq,
      uidValidity: mailbox.uidValidity,
      uidNext: mailbox.uidNext,
      flags,
      recent,
    },
  ];
}

/**
 * RFC 3501 §6.3.10, RFC 9051 §6.3.11. SIZE and DELETED only when the STATUS
 * asked for them (read before the first wait); RECENT is 0 for an IMAP4rev2
 * session, which has no \Recent (RFC 9051 Appendix E).
 */
export async function mailboxStatus(ctx: MailstoreContext, path: string, session: ImapSession): Promise<unknown[]> {
  const totals = wantsTotals(sessionState(session)?.statusItems ?? []);
  const mailbox = await ctx.store.getMailbox(sessionUserId(session), path);
  if (!mailbox) return ['NONEXISTENT'];
  const [messages, unseen, unclaimed, sizeAndDeleted] = await Promise.all([
    ctx.store.countMessages(mailbox.id),
    ctx.store.countMessages(mailbox.id, { unseen: true }),
    // RFC 3501 §6.3.10: RECENT counts the messages the next SELECT would get as \Recent; STATUS claims none.
    isImap4rev2(session) ? 0 : ctx.store.countMessages(mailbox.id, { aboveUid: mailbox.recentUid }),
    // RFC 8438 §3 SIZE, RFC 9051 §6.3.11 DELETED: summed by the store over its indexes, no record read.
    totals ? ctx.store.mailboxTotals(mailbox.id) : null,
  ]);
  return [
    {
      messages,
      recent: unclaimed,
      uidNext: mailbox.uidNext,
      uidValidity: mailbox.uidValidity,
      unseen,
      highestModseq: mailbox.highestModseq,
      ...sizeAndDeleted,
    },
  ];
}

/**
 * RFC 3501 §6.3.1: SELECT and EXAMINE answer `OK [UNSEEN <n>]`, the sequence
 * number of the first message without \Seen (none when every message is
 * seen). RFC 9051 dropped it: an IMAP4rev2 session gets none.
 */
function firstUnseen(session: ImapSession, messages: readonly { flags: readonly string[] }[]): string | null {
  if (isImap4rev2(session)) return null;
  const index = messages.findIndex((message) => !message.flags.some((flag) => flag.toLowerCase() === '\\seen'));
  return index < 0 ? null : `* OK [UNSEEN ${index + 1}] First unseen.`;
}

/**
 * RFC 9051 §6.3.2: in an IMAP4rev2 session SELECT and EXAMINE answer the
 * mailbox's LIST response, with its name as the server has it (whatever case
 * of INBOX the client gave) and accurate attributes. Null for a rev1 session.
 */
async function selectedMailboxList(store: Store, session: ImapSession, mailbox: Mailbox): Promise<string | null> {
  if (!isImap4rev2(session)) return null;
  const mailboxes = await store.listMailboxes(sessionUserId(session));
  const [entry] = listEntries(mailboxes, { selection: new Set(), returns: new Set(), status: [], patterns: [mailbox.path] });
  return entry ? listLine(entry, true) : null;
}
