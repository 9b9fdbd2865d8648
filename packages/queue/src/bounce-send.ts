// Returns a queue entry's failures (or delays) to its sender: picks the recipients, composes the DSN, queues it.
import type { PosternConfig } from '@postern/config';
import type { Logger } from '@postern/log';
import { StoreConflictError, type QueueEntry, type QueueRecipient, type Store } from '@postern/store';
import { buildBounce, type DsnKind, type DsnRecipient } from './bounce.js';
import { wantsNotification } from './dsn.js';
import { enqueueMessage, queueMeta, readQueuedMessage, type RecipientAttempt } from './enqueue.js';
import { willRetryUntil } from './schedule.js';

export interface BounceContext {
  store: Store;
  config: PosternConfig;
  logger: Logger;
}

/** RFC 3463 X.4.7: delivery time expired. */
export const EXPIRED_STATUS = '4.4.7';
export const EXPIRED_TEXT = 'message delayed too long / expired';

/**
 * Queues one DSN to the entry's sender about `recipients` (those that asked
 * for it, RFC 3461 §4.1). Never for the null sender nor about a DSN (RFC 3461
 * §6.2, RFC 5321 §4.5.5: no notification loops). The DSN's id is derived from
 * the entry's, so a runner that repeats this after a crash finds it queued
 * already instead of sending a second one. Returns the DSN entry, or null when
 * none is due.
 */
export async function returnToSender(
  context: BounceContext,
  entry: QueueEntry,
  kind: DsnKind,
  recipients: readonly QueueRecipient[],
  now: Date,
): Promise<QueueEntry | null> {
  const meta = queueMeta(entry);
  if (entry.from === '' || meta.bounce) return null;
  const notified = recipients.filter((recipient) => wantsNotification(recipient.notify, kind === 'failure' ? 'FAILURE' : 'DELAY'));
  if (notified.length === 0) return null;

  // A lost queue file must not keep the sender from learning of the failure: the report goes without it.
  const original = await readQueuedMessage(context.store, entry).catch((error: unknown) => {
    context.logger.error({ event: 'queue_file_error', queue_id: entry.id, err: error }, 'the DSN goes without the original message');
    return Buffer.alloc(0);
  });
  const until = willRetryUntil(context.config.queue, entry, meta.bounce);
  const dsn = buildBounce({
    kind,
    hostname: context.config.hostname,
    queueId: entry.id,
    sender: entry.from,
    envid: meta.envid,
    ret: meta.ret,
    arrivalDate: entry.createdAt,
    recipients: notified.map((recipient) => reportLine(recipient, meta.attempts, kind, until)),
    original,
    originalUtf8: meta.smtputf8,
    date: now,
  });
  const id = dsnId(entry.id, kind);
  let queued: QueueEntry | null;
  try {
    queued = await enqueueMessage(context.store, {
      id,
      from: '',
      recipients: [{ address: entry.from }],
      message: dsn.message,
      smtputf8: dsn.smtputf8,
      eightBit: dsn.eightBit,
      bounce: true,
    });
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    // Queued by an earlier run over this entry that did not get to record it.
    queued = await context.store.getQueueEntry(id as QueueEntry['id']);
  }
  context.logger.info(
    { event: kind === 'failure' ? 'bounce' : 'delay_warning', queue_id: entry.id, to: entry.from, bounce_id: id, recipients: notified.length },
    kind === 'failure' ? 'sender non-delivery notification' : 'sender delay notification',
  );
  return queued;
}

/** The DSN's queue id: one failure DSN and one delay warning per entry at most. */
export function dsnId(queueId: string, kind: DsnKind): string {
  return `${queueId}-${kind === 'failure' ? 'bounce' : 'delay'}`;
}

function reportLine(recipient: QueueRecipient, attempts: readonly RecipientAttempt[], kind: DsnKind, until: Date): DsnRecipient {
  const attempt = lastAttemptOf(attempts, recipient.address);
  const response = recipient.lastResponse ?? (attempt?.expired ? `${EXPIRED_STATUS} ${EXPIRED_TEXT}` : 'no delivery attempt was made');
  const remote = attempt?.remote === true && attempt.relay !== null;
  const expired = kind === 'failure' && attempt?.expired === true;
  return {
    address: recipient.address,
    orcpt: recipient.orcpt ?? null,
    action: kind === 'failure' ? 'failed' : 'delayed',
    status: expired ? EXPIRED_STATUS : (attempt?.dsn ?? statusOf(response) ?? (kind === 'failure' ? '5.0.0' : '4.0.0')),
    reply: remote || !expired ? response : `${EXPIRED_STATUS} ${EXPIRED_TEXT}; last reply: ${response}`,
    explanation: expired && remote ? `${EXPIRED_STATUS} ${EXPIRED_TEXT}; the last attempt gave:` : null,
    remoteMta: remote ? remoteHost(attempt.relay ?? '') : null,
    relay: attempt?.relay ?? null,
    lastAttempt: attempt === undefined ? null : new Date(attempt.at),
    willRetryUntil: kind === 'delay' ? until : null,
  };
}

function lastAttemptOf(attempts: readonly RecipientAttempt[], address: string): RecipientAttempt | undefined {
  const key = address.toLowerCase();
  return attempts.find((attempt) => attempt.address.toLowerCase() === key);
}

/** The RFC 3463 code inside a reply such as "550 5.1.1 no such user". */
function statusOf(response: string): string | null {
  return /(?:^|\s)([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(response)?.[1] ?? null;
}

/** Remote-MTA's name from a relay such as "mx.example.net[127.0.0.5]:25" or "lmtp[127.0.0.1:24]". */
export function remoteHost(relay: string): string {
  const match = /^([^[\s]+)\[([^\]]+)\]/.exec(relay);
  if (!match) return relay;
  const [, name = '', address = ''] = match;
  if (name.toLowerCase() !== 'lmtp') return name;
  // "lmtp[host:port]": the host, without the port.
  return address.replace(/:\d+$/, '');
}
