// What one attempt has learnt so far, written to the entry as each destination answers.
import type { QueueEntry, QueueRecipient } from '@postern/store';
import type { OwedSuccess, QueueMeta, RecipientAttempt } from './enqueue.js';
import type { AttemptContext } from './runner-attempt.js';
import { successesOf } from './success-notice.js';
import type { RecipientOutcome } from './types.js';

const isDue = (recipient: QueueRecipient): boolean => recipient.status === 'pending' || recipient.status === 'deferred';

/**
 * The entry's recipients, last attempts and owed success DSNs as this
 * attempt changes them. Each destination's outcomes are written the moment
 * they are known (Postfix qmgr marks each recipient done as it goes), one
 * write at a time, under the lease that this attempt keeps: a crash later
 * in the attempt re-delivers only to recipients without a recorded outcome.
 */
export class AttemptRecord {
  recipients: QueueRecipient[];
  readonly attemptsByAddress: Map<string, RecipientAttempt>;
  successOwed: OwedSuccess[];
  /** Another runner took the lease over: nothing more is written. */
  lost = false;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: AttemptContext,
    private readonly entry: QueueEntry,
    private readonly meta: QueueMeta,
    /** The entry's attempt count, this attempt included. */
    readonly attempts: number,
    private readonly now: Date,
  ) {
    this.recipients = entry.recipients;
    this.attemptsByAddress = new Map(meta.attempts.map((attempt) => [attempt.address.toLowerCase(), attempt]));
    this.successOwed = meta.successOwed;
  }

  /** The meta this attempt has so far. */
  get nextMeta(): QueueMeta {
    return { ...this.meta, attempts: [...this.attemptsByAddress.values()], successOwed: this.successOwed };
  }

  /**
   * Applies one destination's outcomes and, with `write`, writes them
   * (resolves once written, or once the lease is known lost).
   */
  record(outcomes: ReadonlyMap<string, RecipientOutcome>, write: boolean): Promise<void> {
    const tried = this.recipients.filter((recipient) => isDue(recipient) && outcomes.has(recipient.address.toLowerCase()));
    if (tried.length === 0) return this.writes;
    const at = this.now.toISOString();
    this.recipients = this.recipients.map((recipient) => {
      const outcome = outcomes.get(recipient.address.toLowerCase());
      if (!outcome || !isDue(recipient)) return recipient;
      this.attemptsByAddress.set(recipient.address.toLowerCase(), { address: recipient.address, dsn: outcome.dsn, relay: outcome.relay, remote: outcome.remote, at, ...(outcome.policy === undefined ? {} : { policy: outcome.policy }) });
      return { ...recipient, status: outcome.status, lastResponse: outcome.response };
    });
    // RFC 3461 §5.2.2, §5.2.3: owed with the delivery in one write, so that a crash cannot lose the report.
    this.successOwed = [...this.successOwed, ...successesOf(tried, outcomes, this.attempts, this.now)];
    if (!write) return this.writes;
    const patch = { recipients: this.recipients, attempts: this.attempts, meta: { ...(this.entry.meta ?? {}), ...this.nextMeta }, keepLease: true };
    this.writes = this.writes.then(async () => {
      if (this.lost) return;
      try {
        if ((await this.context.store.updateQueueEntry(this.entry.id, patch, this.context.owner)) === null) this.lost = true;
      } catch (error) {
        // The final write repeats it; until then a crash re-delivers these recipients, as before.
        this.context.logger.warn({ event: 'record_failed', queue_id: this.entry.id, err: error }, 'could not record delivery outcomes yet; they are written with the attempt');
      }
    });
    return this.writes;
  }

  /** Resolves once every write has been made. */
  settled(): Promise<void> {
    return this.writes;
  }
}
