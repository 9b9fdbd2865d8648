// \Recent (RFC 3501 §2.3.2): a new message is recent for exactly one session, the one that claims it.
import type { MailboxId, Store } from '@postern/store';
import type { ImapSession } from './imap-core.js';
import { sessionState } from './session.js';

/**
 * SELECT claims every message above the store's mark (atomically, across
 * sessions and processes); EXAMINE claims nothing and shows the unclaimed ones
 * as recent without taking \Recent away from the next SELECT (RFC 3501 §6.3.2).
 * Returns the \Recent count for the RECENT response.
 */
export async function claimAtOpen(store: Store, session: ImapSession, mailbox: { id: MailboxId; recentUid: number }, uids: readonly number[], readOnly: boolean): Promise<number> {
  const state = sessionState(session);
  if (!state) return 0;
  if (state.imap4rev2) {
    // RFC 9051 Appendix E: IMAP4rev2 has no \Recent; the session takes none away from the rev1 sessions.
    state.recent = new Set();
    state.recentClaimedTo = Number.MAX_SAFE_INTEGER;
    state.recentAnnounced = 0;
    state.recentCountedLength = uids.length;
    return 0;
  }
  const upTo = uids[uids.length - 1] ?? 0;
  const mark = readOnly || upTo <= mailbox.recentUid ? mailbox.recentUid : await store.claimRecent(mailbox.id, upTo);
  state.recent = new Set(uids.filter((uid) => uid > mark));
  state.recentClaimedTo = readOnly ? Number.MAX_SAFE_INTEGER : upTo;
  state.recentAnnounced = state.recent.size;
  state.recentCountedLength = uids.length;
  return state.recent.size;
}

/** The session is about to be told of these new messages (UID order): it claims those nobody claimed before. */
export async function claimNew(store: Store, session: ImapSession, mailboxId: MailboxId, uids: readonly number[]): Promise<void> {
  const state = sessionState(session);
  const upTo = uids[uids.length - 1] ?? 0;
  if (!state || upTo <= state.recentClaimedTo) return;
  state.recentClaimedTo = upTo;
  const mark = await store.claimRecent(mailboxId, upTo);
  for (const uid of uids) if (uid > mark) state.recent.add(uid);
}

export function isRecent(session: ImapSession, uid: number): boolean {
  return sessionState(session)?.recent.has(uid) ?? false;
}

/** The flags as this session sees them: with \Recent when the message is recent for it. */
export function flagsWithRecent(session: ImapSession, uid: number, flags: readonly string[]): string[] {
  const stored = flags.filter((flag) => flag.toLowerCase() !== '\\recent');
  return isRecent(session, uid) ? [...stored, '\\Recent'] : stored;
}

/** Index of `uid` in the ascending UID list, or -1. */
function indexOf(uids: readonly number[], uid: number): number {
  let low = 0;
  let high = uids.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const value = uids[middle]!;
    if (value === uid) return middle;
    if (value < uid) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/**
 * RFC 3501 §7.3.2: after the session's EXISTS/EXPUNGE went out, the new \Recent
 * count when new messages (`grew`) changed it, else null; messages not yet
 * announced by EXISTS do not count. An EXPUNGE lowers the count silently.
 */
export function recentCountChange(session: ImapSession, grew: boolean): number | null {
  const state = sessionState(session);
  if (!state || !session.selected) return null;
  const known = session.selected.uidList;
  if (!grew && known.length === state.recentCountedLength) return null;
  state.recentCountedLength = known.length;
  const last = known[known.length - 1] ?? 0;
  let count = 0;
  for (const uid of state.recent) {
    if (uid > last) continue;
    if (indexOf(known, uid) < 0) state.recent.delete(uid);
    else count++;
  }
  const changed = count !== state.recentAnnounced;
  state.recentAnnounced = count;
  return grew && changed ? count : null;
}
