// Committing outbound mail to the queue, and the delivery state the runner keeps in an entry's meta.
import type { QueueEntry, QueueId, Store } from '@postern/store';
import { queuedContent, queueParts } from './message-content.js';
import type { DeliveryRecipient } from './types.js';

export interface OutboundMessage {
  /** Envelope sender; '' is the null reverse-path. */
  from: string;
  recipients: DeliveryRecipient[];
  /** CRLF lines, final as it will be sent. */
  message: Buffer;
  /** RFC 3461 ENVID and RET (decoded from xtext). */
  envid?: string | null;
  ret?: 'FULL' | 'HDRS' | null;
  smtputf8?: boolean;
  eightBit?: boolean;
  /** The MTA's queue id, so that the logs follow one id from receipt to delivery. */
  id?: string;
  /** The message is itself a DSN: it lives bounce_queue_lifetime and never causes a DSN. */
  bounce?: boolean;
  /** A TLS-RPT report (RFC 8460 §5.3): delivered despite TLS policy failures, and not counted in the next report. */
  tlsReport?: boolean;
  /** Enqueued leased to this runner, which delivers it at once (QueueRunner.deliverNow); others wait for the lease to end. */
  lease?: { owner: string; until: Date };
  /** Put on hold (a header_checks HOLD): kept until `postern queue release`. */
  held?: boolean;
}

/** What the runner remembers of a recipient's last attempt (for the DSN's Remote-MTA and dates). */
export interface RecipientAttempt {
  address: string;
  dsn: string;
  relay: string | null;
  remote: boolean;
  /** ISO time of the attempt. */
  at: string;
  /** Returned because the entry outlived its lifetime (RFC 3463 X.4.7). */
  expired?: boolean;
  /** The policy the attempt went under ("mta-sts:enforce", "tls:may", "plain"); absent for LMTP. */
  policy?: string;
}

/**
 * A recipient delivered with NOTIFY=SUCCESS whose success DSN could not be
 * queued yet (RFC 3461 §5.2.2, §5.2.3): kept so that a later run sends it.
 */
export interface OwedSuccess {
  address: string;
  orcpt: string | null;
  action: 'delivered' | 'relayed';
  /** The server's reply to the delivery, e.g. "250 2.0.0 Ok: queued". */
  response: string;
  relay: string | null;
  remote: boolean;
  /** ISO time of the delivery. */
  at: string;
  /** The entry attempt that delivered it: one success DSN per attempt. */
  attempt: number;
}

/** An entry's `meta`, as enqueueMessage writes it and the runner keeps it. */
export interface QueueMeta {
  envid: string | null;
  ret: 'FULL' | 'HDRS' | null;
  smtputf8: boolean;
  eightBit: boolean;
  /** The delay warning has been sent (at most one per entry). */
  warned: boolean;
  bounce: boolean;
  /** The last attempt of each recipient tried so far. */
  attempts: RecipientAttempt[];
  /** Success DSNs owed to the sender, recorded with the delivery and cleared once queued. */
  successOwed: OwedSuccess[];
  /** Postfix's orig_to: the RCPT address that reached a recipient through an alias, by lower-cased recipient. */
  origTo: Record<string, string>;
  /** A TLS-RPT report (RFC 8460 §5.3); absent means false. */
  tlsReport?: boolean;
}

/**
 * Commits one message for its recipients, due at once. It is durable once the
 * promise resolves, so the MTA may answer 250 after it (SPEC §4: nothing lost).
 */
export function enqueueMessage(store: Store, message: OutboundMessage): Promise<QueueEntry> {
  const meta: QueueMeta = {
    envid: message.envid ?? null,
    ret: message.ret ?? null,
    smtputf8: message.smtputf8 ?? false,
    eightBit: message.eightBit ?? false,
    warned: false,
    bounce: message.bounce ?? false,
    attempts: [],
    successOwed: [],
    origTo: Object.fromEntries(message.recipients.flatMap((r) => (r.origTo != null && r.origTo.toLowerCase() !== r.address.toLowerCase() ? [[r.address.toLowerCase(), r.origTo]] : []))),
    ...(message.tlsReport === true ? { tlsReport: true } : {}),
  };
  return store.enqueue({
    ...(message.id === undefined ? {} : { id: message.id as QueueId }),
    from: message.from,
    recipients: message.recipients.map((recipient) => ({ address: recipient.address, notify: recipient.notify ?? null, orcpt: recipient.orcpt ?? null })),
    parts: queueParts(message.message),
    nextAttemptAt: new Date(),
    meta: { ...meta },
    ...(message.lease === undefined ? {} : { lease: message.lease }),
    ...(message.held ? { held: true } : {}),
  });
}

/** Reads an entry's meta, tolerating entries written by other tools (missing keys get their defaults). */
export function queueMeta(entry: Pick<QueueEntry, 'meta'>): QueueMeta {
  const meta = entry.meta ?? {};
  const ret = meta['ret'];
  const attempts = Array.isArray(meta['attempts']) ? (meta['attempts'] as unknown[]).filter(isRecipientAttempt) : [];
  const successOwed = Array.isArray(meta['successOwed']) ? (meta['successOwed'] as unknown[]).filter(isOwedSuccess) : [];
  const origTo = typeof meta['origTo'] === 'object' && meta['origTo'] !== null ? Object.fromEntries(Object.entries(meta['origTo']).filter((pair): pair is [string, string] => typeof pair[1] === 'string')) : {};
  return {
    envid: typeof meta['envid'] === 'string' ? meta['envid'] : null,
    ret: ret === 'FULL' || ret === 'HDRS' ? ret : null,
    smtputf8: meta['smtputf8'] === true,
    eightBit: meta['eightBit'] === true,
    warned: meta['warned'] === true,
    bounce: meta['bounce'] === true,
    attempts,
    successOwed,
    origTo,
    ...(meta['tlsReport'] === true ? { tlsReport: true } : {}),
  };
}

function isRecipientAttempt(value: unknown): value is RecipientAttempt {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record['address'] === 'string' && typeof record['dsn'] === 'string' && typeof record['at'] === 'string';
}

function isOwedSuccess(value: unknown): value is OwedSuccess {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record['address'] === 'string' &&
    (record['action'] === 'delivered' || record['action'] === 'relayed') &&
    typeof record['response'] === 'string' &&
    typeof record['at'] === 'string' &&
    Number.isSafeInteger(record['attempt'])
  );
}

/** The queued message's bytes (its parts concatenated); throws when the store has lost a part. */
export async function readQueuedMessage(store: Store, entry: Pick<QueueEntry, 'id' | 'parts' | 'size'>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of queuedContent(store, entry).chunks()) parts.push(part);
  return Buffer.concat(parts);
}
