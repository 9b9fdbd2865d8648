// VANISHED (RFC 7162 §3.2.10): expunges as UIDs, for sessions that enabled QRESYNC, and the expunged UIDs a client asks for.
import { JournalPrunedError, type MailboxId, type Store } from '@postern/store';
import type { ImapConnection, ImapResponse, ImapSession } from './imap-core.js';
import { isImap4rev2 } from './imap4rev2.js';
import { sessionState, writeResponse } from './session.js';
import { inRanges, rangesOf, rangesText, rangesWithout, uidSet, type UidRange } from './uid-sets.js';

/** Journal entries read per round trip when looking for expunges. */
const JOURNAL_PAGE = 5000;

export function qresyncEnabled(session: ImapSession): boolean {
  return sessionState(session)?.qresync === true;
}

function vanishedResponse(uids: string): ImapResponse {
  return { tag: '*', command: 'VANISHED', attributes: [{ type: 'atom', value: uids }] };
}

/**
 * RFC 7162 §3.2.10: once QRESYNC is enabled, the server sends VANISHED
 * instead of EXPUNGE, for the session's own expunges and everyone else's.
 * Every EXPUNGE imap-core or a hook builds goes through formatResponse (which
 * also takes the UID out of the session's list), so that is where it turns
 * into `* VANISHED <uid>`; an unsolicited FETCH gets the UID added (also for
 * an IMAP4rev2 session).
 */
export function reportVanished(connection: ImapConnection): void {
  const format = connection.formatResponse.bind(connection);
  const formatResponse: ImapConnection['formatResponse'] = (command, uid, data) => {
    const qresync = qresyncEnabled(connection.session);
    // A QRESYNC client keeps its cache by UID: an unsolicited FETCH (flags changed elsewhere) names it too.
    // RFC 9051 §7.5.2: so does every unsolicited FETCH of an IMAP4rev2 session.
    const withUid = (qresync || isImap4rev2(connection.session)) && command === 'FETCH' && data && !('query' in data) && !('uid' in data) ? { uid, ...data } : data;
    const response = format(command, uid, withUid);
    if (!response || command !== 'EXPUNGE' || !qresync) return response;
    return vanishedResponse(String(uid));
  };
  connection.formatResponse = formatResponse;
  connection.session.formatResponse = formatResponse;
}

/**
 * Tells the client that these UIDs are gone, before the tagged OK of the
 * command that expunged them (RFC 3501 §7.4.1): one EXPUNGE per message, or
 * one VANISHED naming them all for a QRESYNC session (RFC 7162 §3.2.10).
 */
export async function reportExpunged(session: ImapSession, uids: readonly number[]): Promise<void> {
  if (!qresyncEnabled(session)) {
    for (const uid of uids) {
      const response = session.formatResponse('EXPUNGE', uid);
      if (response) await writeResponse(session, response);
    }
    return;
  }
  const known = uids.filter((uid) => session.formatResponse('EXPUNGE', uid) !== false);
  if (known.length > 0) await writeResponse(session, vanishedResponse(uidSet([...known].sort((a, b) => a - b))));
}

/** RFC 7162 §3.2.5.1, §3.2.6: `* VANISHED (EARLIER) <uids>`. */
export function vanishedEarlierLine(ranges: readonly UidRange[]): string {
  return `* VANISHED (EARLIER) ${rangesText(ranges)}`;
}

/**
 * The UIDs in `known` that were expunged after MODSEQ `since` (and before
 * `until`, when given), as the change journal records them. When the journal
 * no longer reaches back to `since` (imap.journal_retention), the answer is
 * every UID in `known` that is not in `present` (the mailbox's UIDs,
 * ascending): RFC 7162 §3.2.5.1 lets the server name UIDs the client already
 * knew were gone, so this is larger but never misses one.
 */
export async function expungedSince(
  store: Store,
  mailboxId: MailboxId,
  since: number,
  known: readonly UidRange[],
  present: () => Promise<readonly number[]>,
  until = Number.POSITIVE_INFINITY,
): Promise<UidRange[]> {
  const expunged: number[] = [];
  try {
    for (let cursor = since; cursor < until; ) {
      const entries = await store.readJournal(mailboxId, cursor, JOURNAL_PAGE);
      for (const entry of entries) {
        if (entry.modseq > until) break;
        if (entry.kind === 'expunge' && inRanges(known, entry.uid)) expunged.push(entry.uid);
      }
      if (entries.length < JOURNAL_PAGE) break;
      cursor = entries[entries.length - 1]!.modseq;
    }
  } catch (err) {
    if (!(err instanceof JournalPrunedError)) throw err;
    return rangesWithout(known, await present());
  }
  return rangesOf([...new Set(expunged)].sort((a, b) => a - b));
}
