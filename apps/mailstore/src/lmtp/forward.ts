import { enqueueMessage, type DeliveryRecipient } from '@postern/queue';
import type { QueueId } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import type { AcceptedRecipient } from './recipients.js';

export interface Forward {
  sender: string;
  raw: Buffer;
  smtputf8: boolean;
  eightBit: boolean;
}

/**
 * Commits the off-site alias targets of `recipients` to the outbound queue
 * (one entry, each target once), for the queue runner of the MTA or of
 * `postern start` to deliver. Resolves with the queue id once the entry is
 * durable, so that those recipients may be answered 250 (RFC 2033 §4.2:
 * 250 means the message is delivered or taken in charge, never dropped);
 * null when no recipient forwards anywhere.
 */
export async function forwardRemoteTargets(ctx: MailstoreContext, message: Forward, recipients: AcceptedRecipient[]): Promise<QueueId | null> {
  const seen = new Set<string>();
  const targets: DeliveryRecipient[] = [];
  for (const recipient of recipients) {
    for (const address of recipient.remote) {
      const key = address.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      // RFC 3461 §4.2: ORCPT names the address as the client gave it; a forward keeps the alias.
      targets.push({ address, notify: null, orcpt: `rfc822;${recipient.address}` });
    }
  }
  if (targets.length === 0) return null;
  // SRS: the forward leaves from our SRS address unless the sender is <> or one of ours.
  const from = ctx.srs ? await ctx.srs.forwardSender(message.sender) : message.sender;
  const entry = await enqueueMessage(ctx.store, { from, recipients: targets, message: message.raw, smtputf8: message.smtputf8, eightBit: message.eightBit });
  return entry.id;
}
