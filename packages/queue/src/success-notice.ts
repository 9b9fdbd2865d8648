// RFC 3461 NOTIFY=SUCCESS: which deliveries of an attempt the sender hears of from us, and queueing those reports.
import type { QueueEntry, QueueRecipient } from '@postern/store';
import { reportSuccess, type BounceContext } from './bounce-send.js';
import { isLmtpRelay } from './delivery/index.js';
import { wantsNotification } from './dsn.js';
import type { OwedSuccess } from './enqueue.js';
import type { RecipientOutcome } from './types.js';

/**
 * The recipients an attempt delivered that asked for NOTIFY=SUCCESS and whose
 * server did not take the request on: into the mailbox over LMTP is
 * "delivered" (RFC 3461 §5.2.3), to a server without DSN "relayed" (§5.2.2).
 * A server that advertised DSN got NOTIFY with the RCPT and reports itself (§5.2.1).
 */
export function successesOf(tried: readonly QueueRecipient[], outcomes: ReadonlyMap<string, RecipientOutcome>, attempt: number, at: Date): OwedSuccess[] {
  const owed: OwedSuccess[] = [];
  for (const recipient of tried) {
    const outcome = outcomes.get(recipient.address.toLowerCase());
    if (outcome === undefined || outcome.status !== 'delivered' || outcome.dsnPassedOn === true) continue;
    if (!wantsNotification(recipient.notify, 'SUCCESS')) continue;
    owed.push({
      address: recipient.address,
      orcpt: recipient.orcpt ?? null,
      action: isLmtpRelay(outcome.relay) ? 'delivered' : 'relayed',
      response: outcome.response,
      relay: outcome.relay,
      remote: outcome.remote,
      at: at.toISOString(),
      attempt,
    });
  }
  return owed;
}

/**
 * Queues the success DSNs owed, one per attempt that delivered. Returns those
 * a store error kept back (the entry keeps them for its next run) and
 * whether any DSN was queued.
 */
export async function sendSuccesses(context: BounceContext, entry: QueueEntry, owed: readonly OwedSuccess[], now: Date): Promise<{ left: OwedSuccess[]; queued: boolean }> {
  const byAttempt = new Map<number, OwedSuccess[]>();
  for (const item of owed) byAttempt.set(item.attempt, [...(byAttempt.get(item.attempt) ?? []), item]);
  const left: OwedSuccess[] = [];
  let queued = false;
  for (const [attempt, delivered] of byAttempt) {
    try {
      if ((await reportSuccess(context, entry, attempt, delivered, now)) !== null) queued = true;
    } catch (error) {
      context.logger.error({ event: 'success_notification_failed', queue_id: entry.id, err: error }, 'could not queue the success notification; trying again on the next run');
      left.push(...delivered);
    }
  }
  return { left, queued };
}
