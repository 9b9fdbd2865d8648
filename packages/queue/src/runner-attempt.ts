// One delivery attempt over one leased queue entry: deliver what is due, report successes asked for, record it, then retry, warn, bounce or remove.
import type { PosternConfig } from '@postern/config';
import type { Logger } from '@postern/log';
import { domainOf, type QueueEntry, type QueueRecipient, type Store } from '@postern/store';
import { EXPIRED_STATUS, returnToSender } from './bounce-send.js';
import { nextHopKey } from './delivery/index.js';
import { queueMeta, type QueueMeta } from './enqueue.js';
import { queuedContent } from './message-content.js';
import type { KeyedLimit, Limit } from './runner-limits.js';
import { delayWarningDue, isExpired, nextAttemptAfterDeferral } from './schedule.js';
import { AttemptRecord } from './runner-record.js';
import { sendSuccesses } from './success-notice.js';
import type { Deliver, DeliveryContext, DeliveryRecipient, DeliveryRequest, RecipientOutcome } from './types.js';

export interface AttemptContext {
  config: PosternConfig;
  store: Store;
  logger: Logger;
  /** The lease owner: updates are written only while this owner still holds the entry. */
  owner: string;
  delivery: DeliveryContext;
  deliver: Deliver;
  /** destination_concurrency_limit, per next hop. */
  hops: KeyedLimit;
  /** process_limit: deliveries in all. */
  deliveries: Limit;
  /** A DSN was queued: the runner looks for it at once rather than at the next poll. */
  queued(): void;
}

export type AttemptResult =
  | { state: 'deferred'; nextAttemptAt: Date }
  | { state: 'removed' }
  /** Another runner took the lease over (ours expired): nothing was written. */
  | { state: 'lost' }
  /** Finished, but the DSN or the removal failed: left for a later run after lease_time. */
  | { state: 'unfinished'; nextAttemptAt: Date };

const isDue = (recipient: QueueRecipient): boolean => recipient.status === 'pending' || recipient.status === 'deferred';

/** The next hops (nextHopKey) an entry's due recipients go to. */
export function dueHops(config: PosternConfig, entry: QueueEntry): string[] {
  const domains = new Set(entry.recipients.filter(isDue).map((recipient) => domainOf(recipient.address)));
  domains.delete('');
  return [...new Set([...domains].map((domain) => nextHopKey(config, domain)))];
}

/** Called once a destination's outcomes are recorded in the store (the MTA waits for its local recipients). */
export type RecordedObserver = (outcomes: readonly RecipientOutcome[]) => void;

/** Runs one attempt; resolves once the outcome is written (the lease is freed then). */
export async function attemptEntry(context: AttemptContext, entry: QueueEntry, recorded?: RecordedObserver): Promise<AttemptResult> {
  const { config, store, logger } = context;
  const meta = queueMeta(entry);
  const due = entry.recipients.filter(isDue);
  const now = new Date();
  const attempts = entry.attempts + (due.length > 0 ? 1 : 0);
  const record = new AttemptRecord(context, entry, meta, attempts, now);
  if (due.length > 0) {
    await deliverDue(context, entry, meta, due, async (outcomes, last) => {
      // The last destination's outcomes go with the attempt's own write, which follows at once.
      await record.record(outcomes, !last);
      if (!record.lost) recorded?.([...outcomes.values()]);
    });
  }
  await record.settled();
  if (record.lost) {
    logger.warn({ event: 'lease_lost', queue_id: entry.id, owner: context.owner }, 'the delivery lease expired and another runner took the entry; the rest of this attempt is not recorded');
    return { state: 'lost' };
  }
  const { attemptsByAddress } = record;
  let recipients = record.recipients;

  // Postfix qmgr: what still fails once the lifetime is over is returned, not retried.
  const expired = recipients.some(isDue) && isExpired(config.queue, entry, meta.bounce, now);
  if (expired) {
    recipients = recipients.map((recipient) => {
      if (!isDue(recipient)) return recipient;
      const key = recipient.address.toLowerCase();
      const last = attemptsByAddress.get(key);
      attemptsByAddress.set(key, { ...(last ?? { address: recipient.address, dsn: EXPIRED_STATUS, relay: null, remote: false, at: now.toISOString() }), expired: true });
      return { ...recipient, status: 'bounced' };
    });
  }
  const finished = !recipients.some(isDue);
  const nextMeta: QueueMeta = { ...record.nextMeta, attempts: [...attemptsByAddress.values()] };
  const current: QueueEntry = { ...entry, recipients, attempts, meta: { ...(entry.meta ?? {}), ...nextMeta } };

  // NOTIFY=SUCCESS reports were recorded as owed with their deliveries; a crash before the final write
  // repeats them, under the same DSN id. What the store refused waits in meta.
  const successes = await sendSuccesses(context, current, record.successOwed, now);
  nextMeta.successOwed = successes.left;
  if (successes.queued) context.queued();

  if (!finished && !meta.warned && delayWarningDue(config.queue, entry, now)) {
    try {
      // RFC 3464 Action: delayed, for the recipients still waiting; sent at most once (meta.warned).
      if (await returnToSender(context, current, 'delay', recipients.filter(isDue), now)) context.queued();
      nextMeta.warned = true;
    } catch (error) {
      logger.error({ event: 'delay_warning_failed', queue_id: entry.id, err: error }, 'could not queue the delay warning; trying again on the next attempt');
    }
  }

  // Every recipient delivered and nothing owed: the removal is the record (one write, not two).
  if (finished && recipients.every((recipient) => recipient.status === 'delivered') && nextMeta.successOwed.length === 0) {
    try {
      await store.deleteQueueEntry(entry.id);
      logger.info({ event: 'removed', queue_id: entry.id, delay: (now.getTime() - entry.createdAt.getTime()) / 1000 }, 'removed');
      return { state: 'removed' };
    } catch (error) {
      logger.warn({ event: 'remove_failed', queue_id: entry.id, err: error }, 'could not remove the delivered entry; recording it instead');
    }
  }

  // A finished entry stays out of other runners' way while its DSN and removal are written;
  // should this runner die in between, another one finishes it after lease_time.
  const nextAttemptAt = finished
    ? new Date(now.getTime() + config.queue.lease_time)
    : nextAttemptAfterDeferral(config.queue, entry, { attempts, isBounce: meta.bounce, warned: nextMeta.warned === true }, now);
  const updated = await store.updateQueueEntry(
    entry.id,
    { recipients, attempts, nextAttemptAt, meta: { ...(entry.meta ?? {}), ...nextMeta } },
    context.owner,
  );
  if (updated === null) {
    logger.warn({ event: 'lease_lost', queue_id: entry.id, owner: context.owner }, 'the delivery lease expired and another runner took the entry; this attempt is not recorded');
    return { state: 'lost' };
  }
  const delay = (now.getTime() - entry.createdAt.getTime()) / 1000;

  if (!finished) {
    const deferred = recipients.filter(isDue);
    logger.info(
      // The per-recipient maillog lines (status=deferred) come from the delivery agent; this one is the entry's.
      { event: 'deferred', queue_id: entry.id, from: entry.from, to: deferred.map((recipient) => recipient.address), delay, attempts, next_attempt: nextAttemptAt.toISOString() },
      `deferred, next attempt at ${nextAttemptAt.toISOString()}`,
    );
    return { state: 'deferred', nextAttemptAt };
  }

  try {
    if (expired) logger.info({ event: 'expired', queue_id: entry.id, from: entry.from, status: 'expired', delay }, meta.bounce ? 'expired, dropped' : 'expired, returned to sender');
    const failed = recipients.filter((recipient) => recipient.status === 'bounced');
    const dsn = failed.length > 0 ? await returnToSender(context, updated, 'failure', failed, now) : null;
    // A success DSN the store refused keeps the entry: a later run sends it, then removes the entry.
    if (nextMeta.successOwed.length > 0) {
      if (dsn) context.queued();
      return { state: 'unfinished', nextAttemptAt };
    }
    await store.deleteQueueEntry(entry.id);
    if (dsn) context.queued();
  } catch (error) {
    logger.error({ event: 'finish_failed', queue_id: entry.id, err: error }, 'could not queue the bounce or remove the entry; another run finishes it after lease_time');
    return { state: 'unfinished', nextAttemptAt };
  }
  logger.info({ event: 'removed', queue_id: entry.id, delay }, 'removed');
  return { state: 'removed' };
}

/**
 * Delivers the due recipients, one request per domain, within the concurrency
 * limits. Every due recipient gets an outcome, handed to `known` (and awaited)
 * as soon as its domain's delivery ends, not when the slowest domain's does.
 */
async function deliverDue(
  context: AttemptContext,
  entry: QueueEntry,
  meta: QueueMeta,
  due: QueueRecipient[],
  known: (outcomes: ReadonlyMap<string, RecipientOutcome>, last: boolean) => Promise<void>,
): Promise<void> {
  const outcomesOf = (recipients: readonly { address: string }[], outcome: Omit<RecipientOutcome, 'address'>) =>
    new Map(recipients.map((recipient) => [recipient.address.toLowerCase(), { address: recipient.address, ...outcome }]));

  // Read part by part while each destination's delivery sends it: no delivery holds the whole message.
  // A part missing from the store fails that delivery (deferred, 4.3.0), as a store outage does.
  const message = queuedContent(context.store, entry);

  const byDomain = new Map<string, DeliveryRecipient[]>();
  const unroutable: QueueRecipient[] = [];
  for (const recipient of due) {
    const domain = domainOf(recipient.address);
    // RFC 5321 §4.1.2: a mailbox needs a domain; nothing can route this one.
    if (domain === '') {
      unroutable.push(recipient);
      continue;
    }
    const group = byDomain.get(domain) ?? [];
    group.push({ address: recipient.address, notify: recipient.notify ?? null, orcpt: recipient.orcpt ?? null, origTo: meta.origTo[recipient.address.toLowerCase()] ?? null });
    byDomain.set(domain, group);
  }
  if (unroutable.length > 0) await known(outcomesOf(unroutable, { status: 'bounced', response: '5.1.3 bad address syntax: no domain', dsn: '5.1.3', relay: null, remote: false }), byDomain.size === 0);
  let pending = byDomain.size;

  await Promise.all(
    [...byDomain].map(async ([domain, recipients]) => {
      const request: DeliveryRequest = {
        queueId: entry.id,
        from: entry.from,
        domain,
        recipients,
        message,
        dsn: { envid: meta.envid, ret: meta.ret },
        smtputf8: meta.smtputf8,
        eightBit: meta.eightBit,
      };
      if (meta.tlsReport === true) request.tlsReport = true;
      let outcomes: Map<string, RecipientOutcome>;
      try {
        // The destination's slot first, then a global one: a busy destination holds no global slot while it waits.
        const results = await context.hops.run(nextHopKey(context.config, domain), () =>
          context.deliveries.run(() => context.deliver(context.delivery, request)),
        );
        const asked = new Set(recipients.map((recipient) => recipient.address.toLowerCase()));
        outcomes = new Map(results.filter((result) => asked.has(result.address.toLowerCase())).map((result) => [result.address.toLowerCase(), result]));
        const missing = recipients.filter((recipient) => !outcomes.has(recipient.address.toLowerCase()));
        for (const [key, outcome] of outcomesOf(missing, { status: 'deferred', response: '4.3.0 the delivery agent reported no result', dsn: '4.3.0', relay: null, remote: false })) outcomes.set(key, outcome);
      } catch (error) {
        context.logger.error({ event: 'delivery_error', queue_id: entry.id, domain, err: error }, 'delivery agent failed');
        const reason = error instanceof Error ? error.message : String(error);
        outcomes = outcomesOf(recipients, { status: 'deferred', response: `4.3.0 delivery failed: ${reason}`, dsn: '4.3.0', relay: null, remote: false });
      }
      await known(outcomes, --pending === 0);
    }),
  );
}
