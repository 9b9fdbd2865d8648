// The commit point (Postfix cleanup(8)): one queue entry for every accepted recipient, written before the 250.
import { enqueueMessage, type DeliveryRecipient } from '@postern/queue';
import type { QueueEntry } from '@postern/store';
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

/** Every address the queue sends on to other servers, each once, with the RCPT's DSN parameters. */
export function remoteRecipients(transaction: Transaction): DeliveryRecipient[] {
  const seen = new Set<string>();
  const out: DeliveryRecipient[] = [];
  for (const recipient of transaction.recipients.values()) {
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
export async function commitMessage(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, message: Buffer, recipients: DeliveryRecipient[], held = false): Promise<QueueEntry> {
  const dsn = (session.envelope as { dsn?: { ret?: string | null; envid?: string | null } }).dsn;
  const ret = dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? dsn.ret : null;
  const entry = await enqueueMessage(ctx.store, {
    id: transaction.queueId,
    from: transaction.sender,
    recipients,
    message,
    envid: dsn?.envid ?? null,
    ret,
    smtputf8: session.envelope.smtpUtf8 === true,
    eightBit: session.envelope.bodyType === '8bitmime',
    ...(held ? { held } : { lease: ctx.queue.leaseForNow() }),
  });
  ctx.logger.info(
    { event: 'queued', ...sessionFields(session), queue_id: transaction.queueId, from: transaction.sender, to: recipients.map((r) => r.address), nrcpt: recipients.length, size: message.length },
    `${transaction.queueId}: from=<${transaction.sender}>, size=${message.length}, nrcpt=${recipients.length} (queue ${held ? 'hold' : 'active'})`,
  );
  return entry;
}
