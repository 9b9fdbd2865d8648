import { dkimSignatureFields } from '@postern/mail-auth';
import { enqueueMessage, type DeliveryRecipient } from '@postern/queue';
import type { SMTPServerSession } from 'smtp-server';
import type { MtaContext } from './context.js';
import { sessionFields } from './maillog.js';
import { sessionState, type Transaction } from './session.js';
import type { SpooledMessage } from './spooled-message.js';

/** Mail our users send: authenticated submission or a client in mynetworks (OpenDKIM's InternalHosts). */
export function mayBeSigned(ctx: MtaContext, session: SMTPServerSession): boolean {
  return sessionState(session).login !== null || ctx.mynetworks(session.remoteAddress);
}

/** DKIM-signs with the From domain's keys when it is one of ours and has any; logs each signature. */
export async function sign(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, message: SpooledMessage): Promise<SpooledMessage> {
  // The signer hashes the spool as a stream; only the DKIM-Signature fields are new.
  const signed = await dkimSignatureFields({ header: message.header, content: () => message.stream() }, { store: ctx.store, config: ctx.config, sender: transaction.sender });
  for (const signature of signed.signatures) {
    ctx.logger.info(
      { event: 'dkim_signed', ...sessionFields(session), queue_id: transaction.queueId, domain: signature.domain, selector: signature.selector, algorithm: signature.algorithm },
      `${transaction.queueId}: DKIM-Signature field added (s=${signature.selector}, d=${signature.domain}, ${signature.algorithm})`,
    );
  }
  return message.prepend(signed.fields);
}

/** Every address the outbound queue takes, each once, with the RCPT's DSN parameters. */
export function remoteRecipients(transaction: Transaction): DeliveryRecipient[] {
  const seen = new Set<string>();
  const out: DeliveryRecipient[] = [];
  for (const recipient of transaction.recipients.values()) {
    for (const address of recipient.remote) {
      const key = address.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      // RFC 3461 §4.2: ORCPT names the address as the client gave it; a forward keeps the alias.
      out.push({ address, notify: recipient.notify, orcpt: recipient.orcpt ?? (recipient.forwarded ? `rfc822;${recipient.address}` : null) });
    }
  }
  return out;
}

/** Commits the message to the outbound queue (durable when this resolves) and wakes the runner. */
export async function enqueue(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, message: Buffer, recipients: DeliveryRecipient[]): Promise<void> {
  const dsn = (session.envelope as { dsn?: { ret?: string | null; envid?: string | null } }).dsn;
  const ret = dsn?.ret === 'FULL' || dsn?.ret === 'HDRS' ? dsn.ret : null;
  await enqueueMessage(ctx.store, {
    id: transaction.queueId,
    from: transaction.sender,
    recipients,
    message,
    envid: dsn?.envid ?? null,
    ret,
    smtputf8: session.envelope.smtpUtf8 === true,
    eightBit: session.envelope.bodyType === '8bitmime',
  });
  ctx.logger.info(
    { event: 'queued', ...sessionFields(session), queue_id: transaction.queueId, from: transaction.sender, to: recipients.map((r) => r.address), nrcpt: recipients.length, size: message.length },
    `${transaction.queueId}: from=<${transaction.sender}>, size=${message.length}, nrcpt=${recipients.length} (queue active)`,
  );
  ctx.queue.wake();
}
