import { userInfo } from 'node:os';
import { rfc5322Date } from '@postern/address';
import type { PosternConfig } from '@postern/config';
import { resolveRecipient } from '@postern/directory';
import { signMessage } from '@postern/mail-auth';
import { checkSubmittedContent, notifyPickup } from '@postern/mta';
import { enqueueMessage } from '@postern/queue';
import { newId, type QueueId, type Store } from '@postern/store';
import { UsageFailure } from '../errors.js';
import type { Submission } from './submit.js';

/** A recipient the queue will not take, with why. */
export interface RefusedRecipient {
  address: string;
  reason: string;
}

export interface Dropped {
  queueId: QueueId;
  accepted: string[];
  refused: RefusedRecipient[];
  /** header_checks/body_checks HOLD: queued, waiting for `postern queue release`. */
  held: boolean;
  /** header_checks/body_checks DISCARD: nothing queued (the sender is told it was sent, as Postfix does). */
  discarded: boolean;
}

/** Why a local address cannot take mail, or null when it can (a remote one always can: the queue decides). */
async function refusal(store: Store, config: PosternConfig, address: string): Promise<string | null> {
  const at = address.lastIndexOf('@');
  if ((await store.getDomain(address.slice(at + 1))) === null) return null;
  const resolution = await resolveRecipient(store, address, { recipientDelimiter: config.smtpd.recipient_delimiter });
  if (resolution.local.length > 0 || resolution.remote.length > 0) return null;
  if (resolution.disabled.length > 0) return 'mailbox disabled';
  return 'User unknown in virtual mailbox table';
}

/** Postfix's trace field for local submission: "by" only, with the submitting user's id, no client. */
function receivedByUs(hostname: string, queueId: string, now: Date): string {
  return `Received: by ${hostname} (Postern, from userid ${userInfo().uid})\r\n\tid ${queueId}; ${rfc5322Date(now)}\r\n`;
}

/**
 * What Postfix's postdrop and cleanup do with a local submission: straight
 * into the queue in the store, not through smtpd, so it works while the MTA
 * is down and the smtpd restrictions (reject_non_fqdn_sender and the rest)
 * never see it — it comes from this host's own users. The message gets our
 * Received field and, when its From domain has keys, a DKIM signature; it
 * is durable when this returns, and the running MTA is poked to send it at
 * once. Unknown local recipients are refused here (named in the result);
 * throws UsageFailure when none is left, the message is too large or
 * header_checks/body_checks REJECT it.
 */
export async function postdrop(store: Store, config: PosternConfig, submission: Submission): Promise<Dropped> {
  // Postfix's cleanup enforces message_size_limit on local submission too.
  if (submission.message.length > config.smtpd.message_size_limit) {
    throw new UsageFailure(`the message is ${submission.message.length} bytes, above smtpd.message_size_limit (${config.smtpd.message_size_limit}): not sent`);
  }
  const accepted: string[] = [];
  const refused: RefusedRecipient[] = [];
  for (const address of submission.recipients) {
    const reason = await refusal(store, config, address);
    if (reason === null) accepted.push(address);
    else refused.push({ address, reason });
  }
  if (accepted.length === 0) throw new UsageFailure(`${describeRefused(refused)}: not sent`);

  const queueId = newId<QueueId>();
  const now = new Date();
  const traced = Buffer.concat([Buffer.from(receivedByUs(config.hostname, queueId, now)), submission.message]);
  // Postfix's cleanup applies header_checks and body_checks to local submissions too (with our Received
  // in the header, as for smtpd), before the signature is made over the result.
  const checked = await checkSubmittedContent(config, traced);
  if (checked.reject) throw new UsageFailure(`message content rejected: ${checked.reject.enhanced} ${checked.reject.text}: not sent`);
  if (checked.discard !== null) return { queueId, accepted, refused, held: false, discarded: true };
  const held = checked.hold !== null;
  const signed = await signMessage(checked.message, { store, config, sender: submission.from });
  await enqueueMessage(store, {
    id: queueId,
    from: submission.from,
    recipients: accepted.map((address) => ({ address })),
    message: signed.message,
    // RFC 6531 §3.4: an address beyond ASCII needs SMTPUTF8 on the way out.
    smtputf8: [submission.from, ...accepted].some((address) => /[^\x00-\x7f]/.test(address)),
    // RFC 6152: BODY=8BITMIME when the message holds bytes beyond ASCII.
    eightBit: signed.message.some((byte) => byte > 0x7f),
    held,
  });
  if (!held) notifyPickup(config.data_dir);
  return { queueId, accepted, refused, held, discarded: false };
}

export function describeRefused(refused: readonly RefusedRecipient[]): string {
  return refused.map((r) => `${r.address}: ${r.reason}`).join('; ');
}
