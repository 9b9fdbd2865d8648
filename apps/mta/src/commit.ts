// The commit point (Postfix cleanup(8)): one queue entry for every accepted recipient, written before the 250.
import { enqueueMessage, type DeliveryRecipient } from '@postern/queue';
import { newId, type QueueEntry, type QueueId } from '@postern/store';
import type { SMTPServerSession } from 'smtp-server';
import type { MtaContext } from './context.js';
import { sessionFields } from './maillog.js';
import type { Transaction } from './session.js';

/**
 * How long the 250 waits for the first attempt at the local mailboxes, once
 * the message is committed: mail is in its mailbox when the client hears
 * 250. A slow mailstore only delays the answer this long (the delivery goes
 * on from the queue); a stopped one answers at once (connection refused,
 * deferred, retried).
 */
export const LOCAL_DELIVERY_WAIT_MS = 5_000;

/**
 * Each local mailbox once (after alias expansion), with the NOTIFY/ORCPT of
 * the first RCPT that reached it and that RCPT as Postfix's orig_to.
 */
export function localRecipients(transaction: Transaction): DeliveryRecipient[] {
  const seen = new Set<string>();
  const out: DeliveryRecipient[] = [];
  for (const recipient of transaction.recipients.values()) {
    for (const mailbox of recipient.mailboxes) {
      const key = mailbox.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ address: mailbox, notify: recipient.notify, orcpt: recipient.orcpt, origTo: recipient.address });
    }
  }
  return out;
}

/**
 * The addresses the queue sends on to other servers, each once, with the RCPT's DSN parameters:
 * all of them, only those relayed as the client addressed them, or only an alias's forward targets.
 */
export function remoteRecipients(transaction: Transaction, which: 'all' | 'relayed' | 'forwarded' = 'all'): DeliveryRecipient[] {
  const seen = new Set<string>();
  const out: DeliveryRecipient[] = [];
  for (const recipient of transaction.recipients.values()) {
    if (which !== 'all' && recipient.forwarded !== (which === 'forwarded')) continue;
    for (const address of recipient.remote) {
      const key = address.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      // RFC 3461 §4.2: ORCPT names the address as the client gave it; a forward keeps the alias.
      out.push({ address, notify: recipient.notify, orcpt: recipient.orcpt ?? (recipient.forwarded ? `rfc822;${recipient.address}` : null), origTo: recipient.address });
    }
  }
  return out;
}

/**
 * Writes the message with all its recipients into the queue, leased to this
 * process's runner (or, `held` by a header_checks HOLD, on hold and leased to
 * no one). Durable when it resolves: the 250 may follow; when it throws,
 * nothing was delivered anywhere.
 */
export async function commitMessage(
  ctx: MtaContext,
  session: SMTPServerSession,
  transaction: Transaction,
  message: Buffer,
  recipients: DeliveryRecipient[],
  held = false,
  envelope: { id: QueueId; from: string } = { id: transaction.queueId, from: transaction.sender },
): Promise<QueueEntry> {
  const dsn = (session.envelope as { dsn?: { ret?: string | null; envid?: string | null } }).dsn;
  const ret = dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? dsn.ret : null;
  const entry = await enqueueMessage(ctx.store, {
    id: envelope.id,
    from: envelope.from,
    recipients,
    message,
    envid: dsn?.envid ?? null,
    ret,
    smtputf8: session.envelope.smtpUtf8 === true,
    eightBit: session.envelope.bodyType === '8bitmime',
    ...(held ? { held } : { lease: ctx.queue.leaseForNow() }),
  });
  ctx.logger.info(
    { event: 'queued', ...sessionFields(session), queue_id: envelope.id, from: envelope.from, to: recipients.map((r) => r.address), nrcpt: recipients.length, size: message.length },
    `${envelope.id}: from=<${envelope.from}>, size=${message.length}, nrcpt=${recipients.length} (queue ${held ? 'hold' : 'active'})`,
  );
  return entry;
}

/**
 * The sender an alias's off-site forward goes out with: SRS (srs.ts) for mail
 * from other domains; null when it keeps the client's (SRS off, the null
 * sender, our own domains, our users' authenticated submissions).
 */
export async function forwardSender(ctx: MtaContext, transaction: Transaction, login: string | null): Promise<string | null> {
  if (ctx.srs === null || login !== null) return null;
  if (![...transaction.recipients.values()].some((recipient) => recipient.forwarded && recipient.remote.length > 0)) return null;
  const rewritten = await ctx.srs.forwardSender(transaction.sender);
  return rewritten === transaction.sender ? null : rewritten;
}

/**
 * With an SRS sender (forwardSender) the forward targets need an envelope of their own: a
 * second queue entry (its own id, logged with the message's), or the only one (`own`: the message's id).
 */
export async function commitForward(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, message: Buffer, sender: string, held: boolean, own: boolean): Promise<QueueEntry> {
  const recipients = remoteRecipients(transaction, 'forwarded');
  const id = own ? transaction.queueId : newId<QueueId>();
  if (!own) ctx.logger.info({ event: 'srs_forward', ...sessionFields(session), queue_id: transaction.queueId, forward_id: id, from: transaction.sender, srs: sender }, `${transaction.queueId}: forward to ${recipients.map((r) => r.address).join(', ')} as ${id}, sender rewritten to <${sender}>`);
  return commitMessage(ctx, session, transaction, message, recipients, held, { id, from: sender });
}
