import type { MailboxId, QueueId, Store, Uid, User, UserId } from '@postern/store';
import { prepareMessage } from '../message/index.js';
import { wouldExceedQuota } from './quota.js';
import { applyHeaderEdits, destinationOf, enqueueRedirect, KEEP_ONLY, sendVacationReply, type DeliveryPlan, type PlannedCopy, type SieveServices } from './sieve/index.js';
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
  /** BODY=8BITMIME: a redirect goes out the same way. */
  eightBit?: boolean;
}

/** One accepted RCPT TO and the local users it expands to. */
export interface DeliveryRecipient {
  /** The address as the client gave it; it becomes the Delivered-To line. */
  address: string;
  /** Local users after alias expansion, each once. */
  users: User[];
}

/** A copy in one of the user's mailboxes (INBOX, or where the Sieve scripts filed it). */
export interface StoredCopy {
  user: User;
  mailboxId: MailboxId;
  /** The mailbox's path. */
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
  | { status: 'rejected'; user: User; reason: string }
  | { status: 'over-quota'; user: User }
  | { status: 'failed'; user: User; error: unknown };

type UserResult = { ok: true; copies: StoredCopy[] } | { ok: true; rejected: string } | { ok: false; error: unknown };

async function planFor(sieve: SieveServices, user: User, full: Buffer, message: InboundMessage, recipient: string): Promise<DeliveryPlan> {
  try {
    return await sieve.filter.plan(user, full, { from: message.sender, to: recipient });
  } catch (error) {
    // The scripts could not even be loaded (the store failed): the message is kept, never lost.
    sieve.log.error({ event: 'sieve_error', user: user.address, err: error }, `sieve for ${user.address} failed to run; the message is kept`);
    return KEEP_ONLY;
  }
}

async function storeCopies(store: Store, user: User, content: Buffer, message: InboundMessage, planned: PlannedCopy[], sieve: SieveServices): Promise<StoredCopy[]> {
  const copies: StoredCopy[] = [];
  for (const copy of planned) {
    const { mailbox, fellBackFrom } = await destinationOf(store, user, copy.mailbox, copy.create);
    if (fellBackFrom !== null) sieve.log.info({ event: 'sieve_fileinto_missing', user: user.address, mailbox: fellBackFrom }, `sieve fileinto ${JSON.stringify(fellBackFrom)} for ${user.address}: no such mailbox, kept in INBOX`);
    // A fileinto that resolved to a mailbox already written (INBOX fallback, Junk by two names) adds nothing.
    if (copies.some((c) => c.mailboxId === mailbox.id)) continue;
    // Header and body become separate blobs: only the header (with this copy's
    // Delivered-To) differs between users, so the body is stored once.
    const prepared = prepareMessage(content, { internalDate: message.receivedAt, flags: copy.flags });
    const appended = await store.appendMessage(mailbox.id, message.deliveryId === undefined ? prepared : { ...prepared, deliveryId: message.deliveryId });
    copies.push({ user, mailboxId: mailbox.id, mailbox: mailbox.path, uid: appended.message.uid, size: appended.message.size, shared: false, alreadyDelivered: appended.duplicate === true });
  }
  return copies;
}

/** Runs the user's Sieve chain over the message and carries out what it decided. */
async function deliverToUser(store: Store, sieve: SieveServices, user: User, full: Buffer, message: InboundMessage, recipient: string): Promise<UserResult> {
  try {
    const plan = await planFor(sieve, user, full, message, recipient);
    // RFC 5429 §2.1.1: reject at the protocol level where possible — LMTP answers this recipient 550.
    if (plan.reject) return { ok: true, rejected: plan.reject.reason };
    const content = applyHeaderEdits(full, plan.edits);
    const copies = [...plan.copies];
    const redirects: string[] = [];
    for (const [i, address] of plan.redirects.entries()) {
      // RFC 5804 §1.7 MAXREDIRECTS per run, and sieve.redirects_per_day: a redirect not made keeps the message.
      const allowed = i < sieve.maxRedirects() && sieve.redirects.take(user.id);
      if (allowed) redirects.push(address);
      else {
        sieve.log.warn({ event: 'sieve_redirect_limit', user: user.address, to: address }, `sieve redirect of ${user.address} to ${address} over the limit; the message is kept instead`);
        if (!copies.some((c) => c.mailbox.toUpperCase() === 'INBOX')) copies.unshift({ mailbox: 'INBOX', flags: [], create: false });
      }
    }
    const stored = await storeCopies(store, user, content, message, copies, sieve);
    if (plan.discarded && stored.length === 0) sieve.log.info({ event: 'sieve_discard', user: user.address }, `sieve discarded the message for ${user.address}`);
    // Without our Return-Path: a final delivery adds it, a redirect is not one (RFC 5321 §4.4).
    const outgoing = content.subarray(content.indexOf(0x0a) + 1);
    for (const address of redirects) {
      const id: QueueId = await enqueueRedirect(store, sieve.srs, message.sender, outgoing, address, message.eightBit === true);
      sieve.log.info({ event: 'sieve_redirect', user: user.address, to: address, queue_id: id }, `sieve redirected the message for ${user.address} to ${address} (queued as ${id})`);
    }
    if (plan.vacation) {
      try {
        const id = await sendVacationReply(store, plan.vacation, user, full, sieve.hostname());
        if (id === null) sieve.log.info({ event: 'sieve_vacation_skipped', user: user.address, to: plan.vacation.replyTo }, `vacation reply of ${user.address} to ${plan.vacation.replyTo} already sent in this period`);
        else sieve.log.info({ event: 'sieve_vacation', user: user.address, to: plan.vacation.replyTo, queue_id: id }, `vacation reply of ${user.address} to ${plan.vacation.replyTo} (queued as ${id})`);
      } catch (error) {
        // The message itself is stored; a reply that could not be queued is not worth a retry of it.
        sieve.log.error({ event: 'sieve_vacation_error', user: user.address, err: error }, `vacation reply of ${user.address} could not be queued`);
      }
    }
    return { ok: true, copies: stored };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Delivers one message to every recipient: per user, the Sieve chain (sieve.before — by default
 * the spam → \Junk rule —, the user's active script, sieve.after) decides where it is filed,
 * redirected, answered or rejected, and says, per recipient and in order, what became of it.
 * A user reached through several recipients is filtered and gets copies once. Recipients are
 * checked against quota before anything is stored for them, so a 452 leaves nothing that a retry
 * would duplicate. With a deliveryId (the client's queue id) a retry after a partial failure, or
 * after the client lost the replies, finds the copies already made and stores none of them again;
 * without one it may duplicate them, the safe side (never lose mail).
 */
export async function deliverMessage(store: Store, sieve: SieveServices, message: InboundMessage, recipients: DeliveryRecipient[]): Promise<RecipientOutcome[]> {
  const results = new Map<UserId, Promise<UserResult>>();
  const outcomes: RecipientOutcome[] = [];
  for (const recipient of recipients) {
    const full = withTraceHeaders(message.raw, { returnPath: message.sender, deliveredTo: recipient.address });
    let overQuota: User | null = null;
    for (const user of recipient.users) {
      if (!results.has(user.id) && (await wouldExceedQuota(store, user, full.length))) {
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
    let rejected: RecipientOutcome | null = null;
    for (const user of recipient.users) {
      const earlier = results.get(user.id);
      const pending = earlier ?? deliverToUser(store, sieve, user, full, message, recipient.address);
      if (!earlier) results.set(user.id, pending);
      const result = await pending;
      if (!result.ok) {
        failure = { status: 'failed', user, error: result.error };
        break;
      }
      if ('rejected' in result) rejected ??= { status: 'rejected', user, reason: result.rejected };
      else stored.push(...result.copies.map((copy) => (earlier ? { ...copy, shared: true } : copy)));
    }
    // An alias whose every user rejected is refused; one user's reject among others drops only that user's copy.
    if (!failure && rejected && stored.length === 0) outcomes.push(rejected);
    else outcomes.push(failure ?? { status: 'delivered', copies: stored });
  }
  return outcomes;
}
