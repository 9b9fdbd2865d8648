// Tells a queue entry's sender of its failures, delays or (NOTIFY=SUCCESS) deliveries: picks the recipients, composes the DSN, queues it.
import type { PosternConfig } from '@postern/config';
import type { Logger } from '@postern/log';
import { StoreConflictError, type QueueEntry, type QueueRecipient, type Store } from '@postern/store';
import { buildBounce, type DsnKind, type DsnRecipient } from './bounce.js';
import { wantsNotification } from './dsn.js';
import { enqueueMessage, queueMeta, readQueuedMessage, type OwedSuccess, type RecipientAttempt } from './enqueue.js';
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
  kind: 'failure' | 'delay',
  recipients: readonly QueueRecipient[],
  now: Date,
): Promise<QueueEntry | null> {
  const meta = queueMeta(entry);
  if (!mayNotify(entry)) return null;
  const notified = recipients.filter((recipient) => wantsNotification(recipient.notify, kind === 'failure' ? 'FAILURE' : 'DELAY'));
  if (notified.length === 0) return null;
  const until = willRetryUntil(context.config.queue, entry, meta.bounce);
  const lines = notified.map((recipient) => reportLine(recipient, meta.attempts, kind, until));
  return queueDsn(context, entry, kind, dsnId(entry.id, kind), lines, now);
}

/**
 * Queues the success DSN of one attempt (RFC 3461 §5.2.2 "relayed", §5.2.3
 * "delivered") about the recipients it delivered that asked for one. Its id
 * names the attempt, so a run repeated after a crash finds it queued already.
 * Returns the DSN entry, or null when none is due (null sender, a DSN itself).
 */
export async function reportSuccess(context: BounceContext, entry: QueueEntry, attempt: number, delivered: readonly OwedSuccess[], now: Date): Promise<QueueEntry | null> {
  if (!mayNotify(entry) || delivered.length === 0) return null;
  const lines = delivered.map((owed): DsnRecipient => {
    const relay = owed.relay ?? null;
    const remote = owed.remote === true && relay !== null;
    return {
      address: owed.address,
      orcpt: owed.orcpt ?? null,
      action: owed.action,
      // RFC 3463 §3.1 X.0.0: the success itself is the news; the server's own words go in Diagnostic-Code.
      status: '2.0.0',
      reply: owed.response,
      remoteMta: remote ? remoteHost(relay) : null,
      relay,
      lastAttempt: new Date(owed.at),
      willRetryUntil: null,
    };
  });
  return queueDsn(context, entry, 'success', dsnId(entry.id, 'success', attempt), lines, now);
}

/** RFC 3461 §6.2, RFC 5321 §4.5.5: nothing goes to the null sender, nor about a DSN (no notification loops). */
function mayNotify(entry: QueueEntry): boolean {
  return entry.from !== '' && !queueMeta(entry).bounce;
}

const LOG_EVENT: Readonly<Record<DsnKind, [event: string, text: string]>> = {
  failure: ['bounce', 'sender non-delivery notification'],
  delay: ['delay_warning', 'sender delay notification'],
  success: ['success_notification', 'sender delivery status notification'],
};

/** Composes the DSN and queues it under `id` from the null sender; an id queued already is the one returned. */
async function queueDsn(context: BounceContext, entry: QueueEntry, kind: DsnKind, id: string, recipients: DsnRecipient[], now: Date): Promise<QueueEntry | null> {
  const meta = queueMeta(entry);
  // A lost queue file must not keep the sender from learning of the failure: the report goes without it.
  const original = await readQueuedMessage(context.store, entry).catch((error: unknown) => {
    context.logger.error({ event: 'queue_file_error', queue_id: entry.id, err: error }, 'the DSN goes without the original message');
    return Buffer.alloc(0);
  });
  const dsn = buildBounce({
    kind,
    hostname: context.config.hostname,
    queueId: entry.id,
    sender: entry.from,
    envid: meta.envid,
    ret: meta.ret,
    arrivalDate: entry.createdAt,
    recipients,
    original,
    originalUtf8: meta.smtputf8,
    date: now,
  });
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
  const [event, text] = LOG_EVENT[kind];
  context.logger.info({ event, queue_id: entry.id, to: entry.from, bounce_id: id, recipients: recipients.length }, text);
  return queued;
}

/** The DSN's queue id: one failure DSN and one delay warning per entry at most, one success DSN per attempt. */
export function dsnId(queueId: string, kind: 'failure' | 'delay'): string;
export function dsnId(queueId: string, kind: 'success', attempt: number): string;
export function dsnId(queueId: string, kind: DsnKind, attempt?: number): string {
  if (kind === 'success') return `${queueId}-success-${attempt ?? 0}`;
  return `${queueId}-${kind === 'failure' ? 'bounce' : 'delay'}`;
}

function reportLine(recipient: QueueRecipient, attempts: readonly RecipientAttempt[], kind: 'failure' | 'delay', until: Date): DsnRecipient {
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
