// The notifier imap-core asks for changes: the store's journal, polled, plus in-process fan-out.
import type { Logger } from '@postern/log';
import { JournalPrunedError, type JournalEntry, type MailboxId, type Store } from '@postern/store';
import type { MailboxChanges } from '../mailbox-changes.js';
import type { ImapSession } from './imap-core.js';
import { claimNew } from './recent.js';
import { resyncUpdates } from './resync.js';

type Listener = (message?: { command: 'DROP'; mailbox: string }) => void;

/** What imap-core's emitNotifications expects: EXISTS/EXPUNGE/FETCH with the MODSEQ of the change. */
export interface ImapUpdate {
  command: 'EXISTS' | 'EXPUNGE' | 'FETCH';
  uid: number;
  modseq: number;
  /** FETCH: the new flags; EXISTS: the new message's flags (for keyword announcements). */
  flags?: string[];
  /** The session that made this change and already told its client. */
  ignore?: string;
}

export interface NotifierOptions {
  /** How often mailboxes with an IDLE session are checked for changes made by other processes and nodes. */
  pollMs?: number;
  /** Mailboxes selected only by sessions that are not idling are checked every this many rounds. */
  busyEvery?: number;
  /** Most journal entries handed to a session at once; the rest follow on the next round. */
  batch?: number;
  /** Changes made elsewhere in this process (LMTP deliveries): sessions hear of them at once, not at the next poll. */
  changes?: MailboxChanges;
}

/** How long the origin of a change is remembered for its session to skip it. */
const OWN_CHANGE_TTL_MS = 60_000;

/**
 * Tells open IMAP sessions about appends, flag changes and expunges (IDLE and
 * the untagged responses after each command). A change made in this process
 * (by an IMAP hook, or an LMTP delivery through `changes`) wakes the sessions
 * that have its mailbox selected at once; changes from other
 * sessions, processes and nodes are found by polling each selected mailbox's
 * highest MODSEQ. What changed always comes from the store's journal, so every
 * session sees every change once, in MODSEQ order, on either backend.
 */
export class JournalNotifier {
  private readonly listeners = new Map<Listener, ImapSession>();
  /** Sessions in IDLE (RFC 2177): they hear of changes within a poll interval; others at their next command. */
  private readonly idling = new WeakSet<ImapSession>();
  /** Per mailbox: MODSEQ → the session that made that change (so it skips its own FETCH echo). */
  private readonly own = new Map<string, Map<number, { session: string; at: number }>>();
  private readonly pollMs: number;
  private readonly batch: number;
  private readonly busyEvery: number;
  private round = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private closed = false;
  /** The session whose listener is running: imap-core's listener calls getUpdates synchronously and without it. */
  private asking: ImapSession | null = null;
  private readonly unsubscribe: () => void;
  private readonly changes: MailboxChanges | null;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    options: NotifierOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.batch = options.batch ?? 1000;
    this.busyEvery = options.busyEvery ?? 4;
    this.changes = options.changes ?? null;
    this.unsubscribe = options.changes?.subscribe((mailboxId) => this.wakeSelected(mailboxId)) ?? (() => undefined);
  }

  /* the interface imap-core calls ------------------------------------------ */

  addListener(session: ImapSession, listener: Listener): void {
    this.listeners.set(listener, session);
    if (!this.timer && !this.closed) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref();
    }
  }

  removeListener(_session: ImapSession, listener: Listener): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  getUpdates(mailbox: string, modifyIndex: number, callback: (error: Error | null, updates?: ImapUpdate[]) => void): void {
    const session = this.asking;
    this.updatesFor(session, mailbox as MailboxId, modifyIndex).then(
      // Changes a catch-up (below) delivered meanwhile are not delivered twice: an EXISTS twice would count a message twice.
      (updates) => callback(null, session && session.selected ? updates.filter((update) => update.modseq > (session.selected as { modifyIndex: number }).modifyIndex) : updates),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /* what Postern's hooks call ---------------------------------------------- */

  /**
   * RFC 3501 §6.3.11, §6.4.7, RFC 6851: after an APPEND, COPY or MOVE into the
   * session's selected mailbox, its EXISTS goes out before the tagged OK, so
   * the changes are queued now for imap-core to send at the command's end.
   */
  async catchUp(session: ImapSession, mailboxId: MailboxId): Promise<void> {
    const selected = session.selected;
    if (!selected || selected.mailbox !== mailboxId) return;
    const updates = await this.updatesFor(session, mailboxId, selected.modifyIndex);
    if (session.selected !== selected) return;
    const fresh = updates.filter((update) => update.modseq > selected.modifyIndex);
    if (fresh.length === 0) return;
    selected.notifications = selected.notifications.concat(fresh);
    selected.modifyIndex = fresh[fresh.length - 1]!.modseq;
  }

  /**
   * A session of this notifier changed this mailbox: wake the sessions that
   * have it selected, on every IMAP listener of this process (143 and 993 each
   * have a notifier, subscribed to the same news) and in the other mailstore processes.
   */
  changed(mailboxId: string): void {
    if (this.changes) this.changes.changed(mailboxId as MailboxId);
    else this.wakeSelected(mailboxId);
  }

  /** Something changed in this mailbox: wake the sessions that have it selected. */
  private wakeSelected(mailboxId: string): void {
    setImmediate(() => {
      for (const [listener, session] of this.listeners) {
        if (session.selected && session.selected.mailbox === mailboxId) this.wake(listener);
      }
    });
  }

  /** The mailbox was deleted: sessions that have it selected are told and closed (imap-core's DROP). */
  dropped(mailboxId: string): void {
    setImmediate(() => this.drop(mailboxId));
  }

  /** The session entered (true) or left (false) IDLE. */
  setIdling(session: ImapSession, idling: boolean): void {
    if (idling) this.idling.add(session);
    else this.idling.delete(session);
  }

  /** These MODSEQs are changes `session` made and has already reported to its client. */
  ownChanges(mailboxId: string, modseqs: number[], session: ImapSession): void {
    if (modseqs.length === 0) return;
    const now = Date.now();
    let changes = this.own.get(mailboxId);
    if (!changes) this.own.set(mailboxId, (changes = new Map()));
    for (const modseq of modseqs) changes.set(modseq, { session: session.id, at: now });
    this.forgetOld(now);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
    this.own.clear();
  }

  /* internals --------------------------------------------------------------- */

  /** The journal since `since` as imap-core's updates; the new messages are claimed for the session's \Recent first. */
  private async updatesFor(session: ImapSession | null, mailboxId: MailboxId, since: number): Promise<ImapUpdate[]> {
    let updates: ImapUpdate[];
    try {
      updates = (await this.store.readJournal(mailboxId, since, this.batch)).map((entry) => this.toUpdate(entry));
    } catch (err) {
      if (!(err instanceof JournalPrunedError) || !session || !session.selected || session.selected.mailbox !== mailboxId) throw err;
      // The session's position is older than the journal keeps (imap.journal_retention): resync it whole.
      updates = await resyncUpdates(this.store, mailboxId, since, session.selected.uidList);
      this.logger.info({ session: session.id, mailbox: mailboxId, since, oldestKept: err.oldestKept, updates: updates.length }, `imap session ${session.id}: journal pruned after modseq ${since}, full resync (${updates.length} updates)`);
    }
    const appended = updates.filter((update) => update.command === 'EXISTS').map((update) => update.uid);
    if (session && appended.length > 0 && session.selected && session.selected.mailbox === mailboxId && !session.selected.readOnly) {
      await claimNew(this.store, session, mailboxId, appended);
    }
    return updates;
  }

  private toUpdate(entry: JournalEntry): ImapUpdate {
    const ignore = this.own.get(entry.mailboxId)?.get(entry.modseq)?.session;
    switch (entry.kind) {
      case 'append':
        return { command: 'EXISTS', uid: entry.uid, modseq: entry.modseq, flags: entry.flags };
      case 'flags':
        return { command: 'FETCH', uid: entry.uid, modseq: entry.modseq, flags: entry.flags, ...(ignore ? { ignore } : {}) };
      case 'expunge':
        return { command: 'EXPUNGE', uid: entry.uid, modseq: entry.modseq };
    }
  }

  /** imap-core's listener reads `this` (as an EventEmitter would pass it), so it is called on the notifier. */
  private wake(listener: Listener, message?: { command: 'DROP'; mailbox: string }): void {
    this.asking = this.listeners.get(listener) ?? null;
    try {
      listener.call(this, message);
    } catch (err) {
      this.logger.warn({ err }, `imap notifier listener failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.asking = null;
    }
  }

  private drop(mailboxId: string): void {
    for (const [listener, session] of this.listeners) {
      if (session.selected && session.selected.mailbox === mailboxId) this.wake(listener, { command: 'DROP', mailbox: mailboxId });
    }
  }

  /**
   * One round: each selected mailbox's highest MODSEQ against what its sessions
   * have seen. Mailboxes with an IDLE session every round; the others, whose
   * sessions only hear news after their next command, every `busyEvery` rounds.
   */
  private async poll(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = true;
    const everyone = this.round++ % this.busyEvery === 0;
    try {
      const byMailbox = new Map<string, Map<Listener, ImapSession>>();
      const wanted = new Set<string>();
      for (const [listener, session] of this.listeners) {
        if (!session.selected) continue;
        if (everyone || this.idling.has(session)) wanted.add(session.selected.mailbox);
        let group = byMailbox.get(session.selected.mailbox);
        if (!group) byMailbox.set(session.selected.mailbox, (group = new Map()));
        group.set(listener, session);
      }
      for (const [mailboxId, group] of byMailbox) {
        if (!wanted.has(mailboxId)) continue;
        const mailbox = await this.store.getMailboxById(mailboxId as MailboxId);
        if (!mailbox) {
          this.drop(mailboxId);
          continue;
        }
        for (const [listener, session] of group) {
          // Behind until the session's journal cursor reaches the mailbox's MODSEQ; a journal
          // entry still in flight on another node is picked up on a later round.
          if (session.selected && session.selected.mailbox === mailboxId && session.selected.modifyIndex < mailbox.highestModseq) {
            this.wake(listener);
          }
        }
      }
      this.forgetOld(Date.now());
    } catch (err) {
      this.logger.warn({ err }, `imap notifier poll failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.polling = false;
    }
  }

  private forgetOld(now: number): void {
    for (const [mailboxId, changes] of this.own) {
      for (const [modseq, change] of changes) {
        // Map order is insertion order, which is also age order.
        if (now - change.at < OWN_CHANGE_TTL_MS) break;
        changes.delete(modseq);
      }
      if (changes.size === 0) this.own.delete(mailboxId);
    }
  }
}
