import type { MailboxId } from '@postern/store';

type Listener = (mailboxId: MailboxId) => void;

/**
 * News that a mailbox changed: LMTP tells it when a delivery appended, an
 * IMAP session when it changed a mailbox, and the IMAP notifiers wake their
 * IDLE sessions at once instead of at their next journal poll. With several
 * mailstore processes ([limits] mailstore_processes) a relay carries the news
 * to the other workers (through the primary); changes made by other nodes
 * still arrive through the poll.
 */
export class MailboxChanges {
  private readonly listeners = new Set<Listener>();
  private relay: Listener | null = null;

  /** Calls `listener` with each changed mailbox until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Where news made here goes for the other processes (one relay; null: none). */
  relayTo(relay: Listener | null): void {
    this.relay = relay;
  }

  /** A change made in this process (LMTP, an IMAP session): this process's listeners and the other processes hear of it. */
  changed(mailboxId: MailboxId): void {
    for (const listener of this.listeners) listener(mailboxId);
    this.relay?.(mailboxId);
  }

  /** A change another process made (through the relay): only this process's listeners. */
  heard(mailboxId: MailboxId): void {
    for (const listener of this.listeners) listener(mailboxId);
  }
}
