// SELECT/EXAMINE and STATUS (RFC 3501 §6.3.1-2, §6.3.10; RFC 7162 HIGHESTMODSEQ).
import { JournalPrunedError, normalizeFlags, type Mailbox, type Store } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import type { ImapSession } from './imap-core.js';
import { keywordsAtOpen } from './keywords.js';
import { answerQresync } from './qresync-select.js';
import { claimAtOpen } from './recent.js';
import { sessionUserId } from './session.js';

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
    if (current.highestModseq === 0) return current;
    const since = Math.max(0, current.highestModseq - SETTLE_WINDOW);
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

export async function mailboxStatus(ctx: MailstoreContext, path: string, session: ImapSession): Promise<unknown[]> {
  const mailbox = await ctx.store.getMailbox(sessionUserId(session), path);
  if (!mailbox) return ['NONEXISTENT'];
  const [messages, unseen, unclaimed] = await Promise.all([
    ctx.store.countMessages(mailbox.id),
    ctx.store.countMessages(mailbox.id, { unseen: true }),
    // RFC 3501 §6.3.10: RECENT counts the messages the next SELECT would get as \Recent; STATUS claims none.
    ctx.store.countMessages(mailbox.id, { aboveUid: mailbox.recentUid }),
  ]);
  return [
    {
      messages,
      recent: unclaimed,
      uidNext: mailbox.uidNext,
      uidValidity: mailbox.uidValidity,
      unseen,
      highestModseq: mailbox.highestModseq,
    },
  ];
}
