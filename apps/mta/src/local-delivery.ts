import { Readable } from 'node:stream';
import type { DeliveryRecipient } from '@postern/queue';
import { countDelivery } from '@postern/metrics';
import type { SMTPServerSession } from 'smtp-server';
import type { MtaContext } from './context.js';
import { DotStuffer } from './dot-stuffing.js';
import { describeReply, type HandoffTransaction, type RecipientResult } from './handoff.js';
import { sessionFields } from './maillog.js';
import { SmtpReply } from './replies.js';
import type { Transaction } from './session.js';

/**
 * Local mailboxes over LMTP (RFC 2033): one reply per mailbox, logged in
 * maillog form. Empty when the message has no local recipient.
 */
export async function deliverLocally(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, message: Buffer): Promise<RecipientResult[]> {
  // Each local mailbox once, remembering the first RCPT that reached it (Postfix's orig_to).
  const origin = new Map<string, string>();
  for (const recipient of transaction.recipients.values()) {
    for (const mailbox of recipient.mailboxes) if (!origin.has(mailbox)) origin.set(mailbox, recipient.address);
  }
  if (origin.size === 0) return [];
  const fields = { ...sessionFields(session), queue_id: transaction.queueId };
  const started = Date.now();
  let lmtp: HandoffTransaction | null = null;
  let results: RecipientResult[];
  try {
    const opened = await ctx.handoff.begin({
      sender: transaction.sender,
      recipients: [...origin.keys()],
      smtputf8: session.envelope.smtpUtf8 === true,
      eightBit: session.envelope.bodyType === '8bitmime',
    });
    lmtp = opened.transaction;
    results = opened.refused;
    if (lmtp !== null) {
      const stuffer = new DotStuffer();
      Readable.from([message]).pipe(stuffer);
      if (!(await lmtp.write(stuffer, () => false))) throw new Error('LMTP transfer stopped');
      results = [...results, ...(await lmtp.finish())];
    }
  } catch (err) {
    lmtp?.abort();
    ctx.logger.error({ event: 'lmtp_error', ...fields, relay: `lmtp[${ctx.handoff.destination}]`, err }, `${transaction.queueId}: LMTP ${ctx.handoff.destination}: ${String(err)}`);
    throw new SmtpReply(451, '4.3.0', `Error: local delivery failed, try again later (queue id ${transaction.queueId})`);
  }
  const relay = `lmtp[${ctx.handoff.destination}]`;
  const delay = (Date.now() - transaction.startedAt) / 1000;
  for (const result of results) {
    const status = result.reply.code === 250 ? 'sent' : result.reply.code < 500 ? 'deferred' : 'bounced';
    countDelivery('lmtp', status, result.reply.enhanced);
    ctx.logger.info(
      { event: 'delivery', ...fields, to: result.recipient, orig_to: origin.get(result.recipient), relay, delay, delays: { lmtp: (Date.now() - started) / 1000 }, dsn: result.reply.enhanced ?? undefined, status, reply: describeReply(result.reply) },
      `${transaction.queueId}: to=<${result.recipient}>, orig_to=<${origin.get(result.recipient) ?? result.recipient}>, relay=${relay}, delay=${delay}, dsn=${result.reply.enhanced ?? ''}, status=${status} (${describeReply(result.reply)})`,
    );
  }
  return results;
}

/** Local mailboxes LMTP did not take, for the queue's LMTP retries, with the DSN parameters of the RCPT that reached them. */
export function retriedLocally(transaction: Transaction, failed: RecipientResult[]): DeliveryRecipient[] {
  return failed.map((result) => {
    const rcpt = [...transaction.recipients.values()].find((recipient) => recipient.mailboxes.includes(result.recipient));
    return { address: result.recipient, notify: rcpt?.notify ?? null, orcpt: rcpt?.orcpt ?? null };
  });
}
