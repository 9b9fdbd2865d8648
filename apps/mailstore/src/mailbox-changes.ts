import type { MailboxId } from '@postern/store';

type Listener = (mailboxId: MailboxId) => void;

/**
 * In-process news that a mailbox changed: LMTP tells it when a delivery
 * appended, and the IMAP notifiers of the same process wake their IDLE
 * sessions at once instead of at their next journal poll. Changes made by
 * other processes and nodes still arrive through the poll.
 */
export class MailboxChanges {
  private readonly listeners = new Set<Listener>();

  /** Calls `listener` with each changed mailbox until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(mailboxId: MailboxId): void {
    for (const listener of this.listeners) listener(mailboxId);
  }
}
