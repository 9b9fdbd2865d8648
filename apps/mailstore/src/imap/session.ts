// What Postern keeps per IMAP session, and the checks every hook makes on it.
import type { Logger } from '@postern/log';
import type { SessionSlots } from '@postern/service';
import { isTemporaryStoreError, type Mailbox, type MailboxId, type SpecialUse, type Store, type UserId } from '@postern/store';
import type { HookCallback, ImapSession, SelectedMailbox } from './imap-core.js';
import type { QresyncRequest } from './qresync-select.js';
import type { SortCriterion } from './sort.js';
import type { ThreadJob } from './thread.js';

export interface SessionState {
  ip: string;
  closed: boolean;
  /** Called once when the connection closes (a FETCH waiting for 'drain' stops waiting). */
  onClose: Set<() => void>;
  loginTimer: NodeJS.Timeout | null;
  /** A LOGIN or AUTHENTICATE is being verified: the login timeout waits for its answer. */
  authenticating: boolean;
  /** The selected mailbox's messages that are \Recent for this session alone (RFC 3501 §2.3.2). */
  recent: Set<number>;
  /** The \Recent count the client was last told (SELECT's or the last `* n RECENT`). */
  recentAnnounced: number;
  /** Highest UID this session has tried to claim as \Recent in the selected mailbox. */
  recentClaimedTo: number;
  /** The length of the session's UID list when \Recent was last counted (no recount while it stays). */
  recentCountedLength: number;
  /** Keywords the client has been told of in FLAGS for the selected mailbox, by lower case (RFC 3501 §7.2.6). */
  keywords: Map<string, string>;
  /** The connection-limit slots it holds (moved from per-address to per-user+address at login). */
  slots: SessionSlots | null;
  /** The special use the CREATE being run asked for (RFC 6154 §3), read by the create hook. */
  createUse: SpecialUse | null;
  /** The sort criteria of the SORT being run (RFC 5256), read by the search hook. */
  sortCriteria: SortCriterion[] | null;
  /** ENABLE QRESYNC was given (RFC 7162 §3.2.3): expunges are told as VANISHED. */
  qresync: boolean;
  /** ENABLE IMAP4rev2 was given (RFC 9051 §6.3.1): the session speaks IMAP4rev2 (see imap4rev2.ts). */
  imap4rev2: boolean;
  /** The items of the STATUS (or LIST-STATUS) being answered, read by the status hook: SIZE and DELETED read every message. */
  statusItems: readonly string[];
  /** The QRESYNC parameter of the SELECT/EXAMINE being run (RFC 7162 §3.2.5), read by the open hook. */
  qresyncRequest: QresyncRequest | null;
  /** Lines the open hook leaves for SELECT/EXAMINE to send before its tagged OK: a rev1 session's first UNSEEN, a rev2 session's LIST line, QRESYNC's VANISHED and FETCH. */
  selectAnswer: string[] | null;
  /** The UID set of the UID FETCH (… VANISHED) being run (RFC 7162 §3.2.6), read by the fetch hook. */
  vanishedRequest: string | null;
  /** The THREAD being run (RFC 5256), filled by the search hook. */
  threadJob: ThreadJob | null;
  /**
   * RFC 5182 §2.1 search result variable: the UIDs the last SEARCH with SAVE
   * found, with the selection they belong to (a new SELECT or EXAMINE empties it).
   */
  searchResult: { selected: SelectedMailbox; uids: number[] } | null;
}

const states = new WeakMap<ImapSession, SessionState>();

export function openSessionState(session: ImapSession, ip: string): SessionState {
  const state: SessionState = { ip, closed: false, onClose: new Set(), loginTimer: null, authenticating: false, recent: new Set(), recentAnnounced: 0, recentClaimedTo: 0, recentCountedLength: 0, keywords: new Map(), slots: null, createUse: null, sortCriteria: null, qresync: false, imap4rev2: false, statusItems: [], qresyncRequest: null, selectAnswer: null, vanishedRequest: null, threadJob: null, searchResult: null };
  states.set(session, state);
  return state;
}

export function sessionState(session: ImapSession): SessionState | undefined {
  return states.get(session);
}

export function closeSessionState(session: ImapSession): SessionState | undefined {
  const state = states.get(session);
  if (!state || state.closed) return undefined;
  state.closed = true;
  if (state.loginTimer) clearTimeout(state.loginTimer);
  for (const listener of state.onClose) listener();
  state.onClose.clear();
  return state;
}

export function isClosed(session: ImapSession): boolean {
  return states.get(session)?.closed ?? true;
}

/** The logged-in user's id; hooks after login only run for authenticated sessions. */
export function sessionUserId(session: ImapSession): UserId {
  if (!session.user) throw new Error('IMAP hook called before authentication');
  return session.user.id as UserId;
}

/**
 * The mailbox behind an id that came from the session (the selected mailbox),
 * only if it belongs to the session's user: a user never reaches another
 * user's mailbox, whatever id arrives.
 */
export async function ownMailbox(store: Store, session: ImapSession, id: string): Promise<Mailbox | null> {
  const mailbox = await store.getMailboxById(id as MailboxId);
  return mailbox && mailbox.userId === sessionUserId(session) ? mailbox : null;
}

/**
 * The error imap-core is given for a failed hook. imap-core answers NO with
 * the error's `code` as the response code, so only RFC 5530 codes may be set:
 * a busy store is NO [UNAVAILABLE] (RFC 5530 §3: temporary failure because a
 * subsystem is down), anything else imap-core's NO [TEMPFAIL], and an internal
 * code (a StoreError's, a system call's) never reaches the client.
 */
function hookFailure(err: Error): Error {
  if (isTemporaryStoreError(err)) return Object.assign(new Error('Mailbox database busy, try again later'), { response: 'NO', code: 'UNAVAILABLE' });
  return new Error(err.message);
}

/**
 * Resolves imap-core's callback from a promise of the callback's results;
 * an unexpected error is logged and reaches the client as NO [TEMPFAIL]
 * (NO [UNAVAILABLE] when the store is busy).
 */
export function answer(logger: Logger, session: ImapSession, hook: string, callback: HookCallback, work: Promise<unknown[]>): void {
  work.then(
    (results) => callback(null, ...results),
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      // An error carrying its own IMAP response (a refusal) is an answer, not a failure.
      if ('response' in err) return callback(err);
      const fields = { session: session.id, user: session.user?.username, hook, err };
      if (isTemporaryStoreError(err)) logger.warn(fields, `imap ${hook}: ${err.message}`);
      else logger.error(fields, `imap ${hook} failed: ${err.message}`);
      callback(hookFailure(err));
    },
  );
}

/** Writes one response to the client, waiting while the socket is backed up (never while it is closed). */
export async function writeResponse(session: ImapSession, chunk: unknown): Promise<void> {
  if (session.writeStream.write(chunk)) return;
  const state = states.get(session);
  if (!state || state.closed) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      session.writeStream.off('drain', done);
      state.onClose.delete(done);
      resolve();
    };
    session.writeStream.once('drain', done);
    state.onClose.add(done);
  });
}
