import type { Collection } from 'mongodb';
import { StoreNotFoundError } from '../errors.js';
import type { MailboxDoc } from './collections.js';

/** What one caller asked for: `uids` new UIDs and `modseqs` new MODSEQs in one mailbox. */
interface Request {
  uids: number;
  modseqs: number;
  resolve(grant: Grant): void;
  reject(error: unknown): void;
}

/** The first UID/MODSEQ granted, and the mailbox as it stands right after this grant. */
export interface Grant {
  firstUid: number;
  firstModseq: number;
  mailbox: MailboxDoc;
}

const MAX_BACKOFF_MS = 50;

/**
 * Allocates UIDs and MODSEQs per mailbox (RFC 3501 §2.3.1.1, RFC 7162 §3.1).
 *
 * Each allocation is one compare-and-set `updateOne` on the mailbox document
 * (filter on the uidNext/highestModseq just read, `$inc` both), so two
 * allocations can never overlap, across connections, processes and nodes.
 * findOneAndUpdate is not used: the test server runs it as find, then update
 * by `_id`, then a separate re-read, so concurrent callers get the same values.
 *
 * Callers in this process asking for the same mailbox while an allocation is
 * in flight are granted together by the next compare-and-set (group commit),
 * which keeps contention down to one writer per process.
 */
export class SequenceAllocator {
  private readonly waiting = new Map<string, Request[]>();

  constructor(private readonly mailboxes: Collection<MailboxDoc>) {}

  allocate(mailboxId: string, uids: number, modseqs: number): Promise<Grant> {
    return new Promise<Grant>((resolve, reject) => {
      const queue = this.waiting.get(mailboxId);
      const request = { uids, modseqs, resolve, reject };
      if (queue) {
        queue.push(request);
        return;
      }
      this.waiting.set(mailboxId, [request]);
      // Started after the current job, so that callers in the same tick (a batch of appends) share one reservation.
      queueMicrotask(() => void this.drain(mailboxId));
    });
  }

  /** Grants everything queued for the mailbox, batch after batch, until nobody waits. */
  private async drain(mailboxId: string): Promise<void> {
    for (;;) {
      const batch = this.waiting.get(mailboxId) ?? [];
      if (batch.length === 0) {
        this.waiting.delete(mailboxId);
        return;
      }
      this.waiting.set(mailboxId, []);
      try {
        this.grant(batch, await this.reserve(mailboxId, sum(batch, 'uids'), sum(batch, 'modseqs')));
      } catch (error) {
        for (const request of batch) request.reject(error);
      }
    }
  }

  /** Compare-and-set until this process's reservation lands; returns the mailbox before it. */
  private async reserve(mailboxId: string, uids: number, modseqs: number): Promise<MailboxDoc> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.mailboxes.findOne({ _id: mailboxId });
      if (!current) throw new StoreNotFoundError(`mailbox ${mailboxId} does not exist`);
      const result = await this.mailboxes.updateOne(
        { _id: mailboxId, uidNext: current.uidNext, highestModseq: current.highestModseq },
        { $inc: { uidNext: uids, highestModseq: modseqs } },
      );
      if (result.matchedCount === 1) return current;
      // Another process won this round: back off a random while so the next round has one winner.
      await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt));
    }
  }

  /** Hands out consecutive slices of the reservation in arrival order. */
  private grant(batch: Request[], before: MailboxDoc): void {
    let uidNext = before.uidNext;
    let highestModseq = before.highestModseq;
    for (const request of batch) {
      const firstUid = uidNext;
      const firstModseq = highestModseq + 1;
      uidNext += request.uids;
      highestModseq += request.modseqs;
      request.resolve({ firstUid, firstModseq, mailbox: { ...before, uidNext, highestModseq } });
    }
  }
}

function sum(batch: Request[], key: 'uids' | 'modseqs'): number {
  return batch.reduce((total, request) => total + request[key], 0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
