import { ensureDefaultMailboxes } from '@postern/directory';
import type { Mailbox, Store, Uid, User } from '@postern/store';

/** One message of the maildrop as the session numbered it at login (RFC 1939 §5 message-number). */
export interface MaildropMessage {
  /** 1-based message number, fixed for the session. */
  number: number;
  uid: Uid;
  /** Octets, as LIST and STAT report them. */
  size: number;
  /** RFC 1939 §7 UIDL: unique per message, stable across sessions. */
  uniqueId: string;
  /** Marked by DELE; removed from the store only in the UPDATE state. */
  deleted: boolean;
}

/**
 * The user's INBOX as a POP3 session sees it: the message list taken at
 * login, numbered 1..n (RFC 1939 §5). Messages delivered later appear in the
 * next session; deletions are marks until commit() at QUIT.
 */
export class Maildrop {
  private constructor(
    private readonly store: Store,
    readonly mailbox: Mailbox,
    private readonly messages: MaildropMessage[],
  ) {}

  /** Takes the snapshot; creates the user's default folders first (INBOX may not exist before the first delivery). */
  static async open(store: Store, user: User): Promise<Maildrop> {
    await ensureDefaultMailboxes(store, user);
    const mailbox = await store.getMailbox(user.id, 'INBOX');
    if (!mailbox) throw new Error(`INBOX of ${user.address} is missing after creating the default mailboxes`);
    const records = await store.listMessages(mailbox.id);
    const messages = records.map((record, index) => ({
      number: index + 1,
      uid: record.uid,
      size: record.size,
      // A recreated INBOX gets a new UIDVALIDITY, so its ids never collide with the old ones.
      uniqueId: `${mailbox.uidValidity}.${record.uid}`,
      deleted: false,
    }));
    return new Maildrop(store, mailbox, messages);
  }

  /** Highest message number of the session, deleted ones included. */
  get highestNumber(): number {
    return this.messages.length;
  }

  /** STAT: messages not marked deleted, and their octets. */
  stat(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    for (const message of this.messages) {
      if (message.deleted) continue;
      count += 1;
      octets += message.size;
    }
    return { count, octets };
  }

  /** The message numbered `number`, deleted or not; undefined when there is no such number. */
  message(number: number): MaildropMessage | undefined {
    return this.messages[number - 1];
  }

  /** Messages not marked deleted, in number order. */
  present(): MaildropMessage[] {
    return this.messages.filter((message) => !message.deleted);
  }

  /** The message's bytes, or null when another session expunged it meanwhile. */
  async read(message: MaildropMessage): Promise<Buffer | null> {
    const record = await this.store.getMessage(this.mailbox.id, message.uid);
    return record ? this.store.readMessage(record) : null;
  }

  delete(message: MaildropMessage): void {
    message.deleted = true;
  }

  /** RSET: unmarks every deleted message. */
  reset(): void {
    for (const message of this.messages) message.deleted = false;
  }

  /** RFC 1939 §6 UPDATE state: removes the marked messages; returns how many the store removed. */
  async commit(): Promise<number> {
    const uids = this.messages.filter((message) => message.deleted).map((message) => message.uid);
    if (uids.length === 0) return 0;
    const expunged = await this.store.expungeMessages(this.mailbox.id, uids);
    return expunged.length;
  }
}
