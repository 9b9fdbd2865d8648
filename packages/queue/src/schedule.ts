// When a queue entry is tried again, when it expires and when its sender is warned (Postfix qmgr(8) timing).
import type { PosternConfig } from '@postern/config';
import type { QueueEntry } from '@postern/store';

export type QueueSettings = PosternConfig['queue'];

/**
 * The wait after the `attempts`-th failed attempt: minimal_backoff_time·2^(attempts−1),
 * capped at maximal_backoff_time (Postfix doubles the backoff per deferral the same way).
 */
export function retryDelay(queue: QueueSettings, attempts: number): number {
  const doublings = Math.max(0, attempts - 1);
  // 2^40 already exceeds any sane cap; stopping there keeps the arithmetic finite.
  const delay = queue.minimal_backoff_time * 2 ** Math.min(doublings, 40);
  return Math.min(delay, Math.max(queue.maximal_backoff_time, queue.minimal_backoff_time));
}

/** maximal_queue_lifetime, or bounce_queue_lifetime for an entry that is itself a DSN. */
export function queueLifetime(queue: QueueSettings, isBounce: boolean): number {
  return isBounce ? queue.bounce_queue_lifetime : queue.maximal_queue_lifetime;
}

/** The entry has been queued for its whole lifetime: what still fails is returned, not retried. */
export function isExpired(queue: QueueSettings, entry: Pick<QueueEntry, 'createdAt'>, isBounce: boolean, now: Date): boolean {
  return now.getTime() - entry.createdAt.getTime() >= queueLifetime(queue, isBounce);
}

/** delay_warning_time has passed since arrival (0 turns warnings off, as in Postfix). */
export function delayWarningDue(queue: QueueSettings, entry: Pick<QueueEntry, 'createdAt'>, now: Date): boolean {
  if (queue.delay_warning_time <= 0) return false;
  return now.getTime() - entry.createdAt.getTime() >= queue.delay_warning_time;
}

/** RFC 3464 §2.3.7 Will-Retry-Until: the end of the entry's lifetime. */
export function willRetryUntil(queue: QueueSettings, entry: Pick<QueueEntry, 'createdAt'>, isBounce: boolean): Date {
  return new Date(entry.createdAt.getTime() + queueLifetime(queue, isBounce));
}

/**
 * When a deferred entry is next tried: after its backoff, but no later than
 * the end of its lifetime or (before the warning went out) delay_warning_time,
 * so that the bounce and the warning are not late by up to one backoff.
 */
export function nextAttemptAfterDeferral(queue: QueueSettings, entry: Pick<QueueEntry, 'createdAt'>, state: { attempts: number; isBounce: boolean; warned: boolean }, now: Date): Date {
  const arrived = entry.createdAt.getTime();
  const candidates = [now.getTime() + retryDelay(queue, state.attempts), arrived + queueLifetime(queue, state.isBounce)];
  if (!state.warned && queue.delay_warning_time > 0) candidates.push(arrived + queue.delay_warning_time);
  const due = candidates.filter((at) => at > now.getTime());
  return new Date(due.length > 0 ? Math.min(...due) : now.getTime() + retryDelay(queue, state.attempts));
}
