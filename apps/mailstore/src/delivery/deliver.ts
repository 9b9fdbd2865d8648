import type { MailboxId, Store, Uid, User, UserId } from '@postern/store';
import { prepareMessage } from '../message/index.js';
import { inboxOf } from './inbox.js';
import { isFlaggedSpam, junkOf } from './junk.js';
import { wouldExceedQuota } from './quota.js';
import { withTraceHeaders } from './trace-headers.js';

/** One message as the MTA handed it over (after DATA). */
export interface InboundMessage {
  /** The MAIL FROM reverse-path; '' for the null sender. */
  sender: string;
  raw: Buffer;
  /** INTERNALDATE of every copy. */
  receivedAt: Date;
  /** The client's queue id (XFORWARD IDENT): each mailbox keeps one copy per id, so a repeated delivery stores nothing. */
  deliveryId?: string | undefined;
}

/** One accepted RCPT TO and the local users it expands to. */
export interface DeliveryRecipient {
  /** The address as the client gave it; it becomes the Delivered-To line. */
  address: string;
  /** Local users after alias expansion, each once. */
  users: User[];
}

/** A copy in a user's INBOX, or Junk for mail the scanner flagged. */
export interface StoredCopy {
  user: User;
  mailboxId: MailboxId;
  /** The mailbox's path (INBOX, or the \Junk mailbox's). */
  mailbox: string;
  uid: Uid;
  size: number;
  /** True when an earlier recipient of the same message already put this copy there. */
  shared: boolean;
  /** True when an earlier delivery of the same queue entry (deliveryId) stored this copy: nothing new was stored. */
  alreadyDelivered: boolean;
}

export type RecipientOutcome =
  | { status: 'delivered'; copies: StoredCopy[] }
  | { status: 'over-quota'; user: User }
  | { status: 'failed'; user: User; error: unknown };

type CopyResult = { ok: true; copy: StoredCopy } | { ok: false; error: unknown };

async function storeCopy(store: Store, user: User, full: Buffer, message: InboundMessage, spam: boolean): Promise<CopyResult> {
  try {
    const mailbox = spam ? await junkOf(store, user) : await inboxOf(store, user);
    // Header and body become separate blobs: only the header (with this copy's
    // Delivered-To) differs between users, so the body is stored once.
    const prepared = prepareMessage(full, { internalDate: message.receivedAt });
    const appended = await store.appendMessage(mailbox.id, message.deliveryId === undefined ? prepared : { ...prepared, deliveryId: message.deliveryId });
    const stored = appended.message;
    return {
      ok: true,
      copy: { user, mailboxId: mailbox.id, mailbox: mailbox.path, uid: stored.uid, size: stored.size, shared: false, alreadyDelivered: appended.duplicate === true },
    };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Delivers one message to every recipient's INBOX (Junk when the scanner
 * flagged it X-Spam-Flag: YES) and says, per recipient and
 * in order, what became of it. A user reached through several recipients
 * gets one copy. Recipients are checked against quota before anything is
 * stored for them, so a 452 leaves nothing that a retry would duplicate. With a
 * deliveryId (the client's queue id) a retry after a partial failure, or after
 * the client lost the replies, finds the copies already made and stores none of
 * them again; without one it may duplicate them, the safe side (never lose mail).
 */
export async function deliverMessage(store: Store, message: InboundMessage, recipients: DeliveryRecipient[]): Promise<RecipientOutcome[]> {
  const copies = new Map<UserId, Promise<CopyResult>>();
  const outcomes: RecipientOutcome[] = [];
  const spam = isFlaggedSpam(message.raw);
  for (const recipient of recipients) {
    const full = withTraceHeaders(message.raw, { returnPath: message.sender, deliveredTo: recipient.address });
    let overQuota: User | null = null;
    for (const user of recipient.users) {
      if (!copies.has(user.id) && (await wouldExceedQuota(store, user, full.length))) {
        overQuota = user;
        break;
      }
    }
    if (overQuota) {
      outcomes.push({ status: 'over-quota', user: overQuota });
      continue;
    }
    const stored: StoredCopy[] = [];
    let failure: RecipientOutcome | null = null;
    for (const user of recipient.users) {
      const earlier = copies.get(user.id);
      const pending = earlier ?? storeCopy(store, user, full, message, spam);
      if (!earlier) copies.set(user.id, pending);
      const result = await pending;
      if (!result.ok) {
        failure = { status: 'failed', user, error: result.error };
        break;
      }
      stored.push(earlier ? { ...result.copy, shared: true } : result.copy);
    }
    outcomes.push(failure ?? { status: 'delivered', copies: stored });
  }
  return outcomes;
}
