// The session's view against the mailbox as it is now, for when the journal cannot tell what changed.
import type { MailboxId, Store } from '@postern/store';
import type { ImapUpdate } from './notifier.js';
import { settledMailbox } from './select.js';

/**
 * A full resync, used when the journal entries after the session's position
 * `since` were pruned (imap.journal_retention): EXPUNGE for every UID the
 * session knows that is gone, FETCH FLAGS (with MODSEQ, RFC 7162 §3.2.4) for
 * every known message changed after `since`, EXISTS for every message it does
 * not know. All of it stands at the settled mailbox's highest MODSEQ, so the
 * journal read that follows starts where this snapshot ends: a later change
 * may be told twice (harmless for FETCH and EXPUNGE), never missed, and a new
 * message is announced once (those above the snapshot's UIDNEXT come from the journal).
 */
export async function resyncUpdates(store: Store, mailboxId: MailboxId, since: number, known: readonly number[]): Promise<ImapUpdate[]> {
  const found = await store.getMailboxById(mailboxId);
  if (!found) return [];
  const mailbox = await settledMailbox(store, found);
  const snapshot = mailbox.highestModseq;
  const messages = mailbox.uidNext > 1 ? await store.listMessageFlags(mailboxId, { uids: { min: 1, max: mailbox.uidNext - 1 } }) : [];
  const knownSet = new Set(known);
  const present = new Set(messages.map((message) => message.uid));
  const fetches: ImapUpdate[] = messages
    .filter((message) => knownSet.has(message.uid) && message.modseq > since && message.modseq <= snapshot)
    .sort((a, b) => a.modseq - b.modseq)
    .map((message) => ({ command: 'FETCH', uid: message.uid, modseq: message.modseq, flags: message.flags }));
  const expunges: ImapUpdate[] = known.filter((uid) => !present.has(uid)).map((uid) => ({ command: 'EXPUNGE', uid, modseq: snapshot }));
  const exists: ImapUpdate[] = messages.filter((message) => !knownSet.has(message.uid)).map((message) => ({ command: 'EXISTS', uid: message.uid, modseq: snapshot, flags: message.flags }));
  // imap-core sorts by MODSEQ (stably): the FETCHes, which name known sequence numbers, go first.
  return [...fetches, ...expunges, ...exists];
}
