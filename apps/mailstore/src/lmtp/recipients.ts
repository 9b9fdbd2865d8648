import { AddressError, parseAddress } from '@postern/address';
import { resolveRecipient } from '@postern/directory';
import type { MailstoreContext } from '../context.js';
import { exceedsQuota, type DeliveryRecipient } from '../delivery/index.js';
import { replies } from './replies.js';

/** A recipient accepted at RCPT, with what alias expansion made of it. */
export interface AcceptedRecipient extends DeliveryRecipient {
  /** Off-site alias targets: queued for forwarding after the data (see forward.ts). */
  remote: string[];
  /** Local alias targets that lead nowhere. */
  unknown: string[];
}

/**
 * The RCPT TO decision: resolves the address (user, alias, catch-all,
 * user+tag) and either returns the local users it reaches or throws the
 * LmtpReply that refuses it.
 *
 * Remote targets (an alias that forwards off-site, e.g. Postfix feeding us an
 * alias address) go to the outbound queue after the data; the MTA leaves to
 * us the targets of the mailboxes it hands over (apps/mta recipients.ts).
 */
export async function acceptRecipient(ctx: MailstoreContext, rcpt: string, sizeHint: number | null): Promise<AcceptedRecipient> {
  let address: string;
  try {
    address = parseAddress(rcpt).address;
  } catch (err) {
    if (err instanceof AddressError) throw replies.badAddress(rcpt, err.message);
    throw err;
  }
  const resolution = await resolveRecipient(ctx.store, address, { recipientDelimiter: ctx.config.smtpd.recipient_delimiter, srs: ctx.srs });
  // Our queue's own bounce to a forward reaches its SRS address here: forged or expired ones are refused, never relayed.
  if (resolution.srsRefused !== null) throw replies.badSrsAddress(rcpt, resolution.srsRefused);
  if (resolution.local.length === 0 && resolution.remote.length === 0) {
    throw resolution.disabled.length > 0 ? replies.mailboxDisabled(rcpt, ctx.config.smtpd.disabled_mailbox_reject_code) : replies.unknownUser(rcpt);
  }
  const users = resolution.local.map((delivery) => delivery.user);
  // RFC 1870 §6.2: a SIZE= that cannot fit is refused at RCPT, before the client sends the message.
  if (sizeHint !== null && users.some((user) => exceedsQuota(user, sizeHint))) throw replies.mailboxFull(rcpt);
  return { address: rcpt, users, remote: resolution.remote, unknown: resolution.unknown };
}
