import type { Filter } from 'mongodb';
import { newId } from '../ids.js';
import type { NewQueueEntry, QueueEntry, QueueEntryPatch, QueueRecipient } from '../types.js';
import type { BlobStore } from './blobs.js';
import type { Collections, QueueDoc } from './collections.js';
import { uniqueWrite } from './conflicts.js';
import { storeMeta, toQueueEntry } from './records.js';

/**
 * The outbound queue. Delivery leases are taken with a compare-and-set
 * `updateOne` on the lease state as read (findOneAndUpdate is not atomic on the
 * test server), so two workers never hold the same entry while a lease is valid.
 */
export class QueueStore {
  constructor(
    private readonly c: Pick<Collections, 'queue'>,
    private readonly blobs: BlobStore,
  ) {}

  async enqueue(entry: NewQueueEntry): Promise<QueueEntry> {
    const parts = await this.blobs.putMany(entry.parts);
    const now = new Date();
    const doc: QueueDoc = {
      _id: entry.id ?? newId(),
      from: entry.from,
      recipients: entry.recipients.map(pendingRecipient),
      parts,
      size: entry.parts.reduce((total, part) => total + part.length, 0),
      createdAt: now,
      nextAttemptAt: entry.nextAttemptAt ?? now,
      attempts: 0,
      held: entry.held ?? false,
      leaseOwner: entry.lease?.owner ?? null,
      leaseUntil: entry.lease?.until ?? null,
      meta: storeMeta(entry.meta),
    };
    try {
      await uniqueWrite(() => this.c.queue.insertOne(doc), `queue entry ${doc._id}`);
    } catch (error) {
      await this.blobs.releaseAll(parts);
      throw error;
    }
    return toQueueEntry(doc);
  }

  async get(id: string): Promise<QueueEntry | null> {
    const doc = await this.c.queue.findOne({ _id: id });
    return doc && toQueueEntry(doc);
  }

  async list(): Promise<QueueEntry[]> {
    const docs = await this.c.queue.find({}).sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map(toQueueEntry);
  }

  async lease(owner: string, now: Date, leaseMs: number, limit: number): Promise<QueueEntry[]> {
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const leased: string[] = [];
    const tried: string[] = [];
    while (leased.length < limit) {
      const free: Filter<QueueDoc> = {
        held: false,
        nextAttemptAt: { $lte: now },
        $or: [{ leaseUntil: null }, { leaseUntil: { $lt: now } }],
        _id: { $nin: tried },
      };
      const candidates = await this.c.queue
        .find(free)
        .sort({ nextAttemptAt: 1, _id: 1 })
        .limit(limit - leased.length)
        .toArray();
      if (candidates.length === 0) break;
      for (const candidate of candidates) {
        tried.push(candidate._id);
        // Matches only if nobody leased, held or rescheduled the entry since it was read.
        const result = await this.c.queue.updateOne(
          {
            _id: candidate._id,
            held: false,
            nextAttemptAt: candidate.nextAttemptAt,
            leaseOwner: candidate.leaseOwner,
            leaseUntil: candidate.leaseUntil,
          },
          { $set: { leaseOwner: owner, leaseUntil } },
        );
        if (result.matchedCount === 1) leased.push(candidate._id);
      }
    }
    if (leased.length === 0) return [];
    const docs = await this.c.queue.find({ _id: { $in: leased }, leaseOwner: owner }).toArray();
    const byId = new Map(docs.map((doc) => [doc._id, doc]));
    return leased.flatMap((id) => {
      const doc = byId.get(id);
      return doc ? [toQueueEntry(doc)] : [];
    });
  }

  async renew(id: string, owner: string, until: Date): Promise<boolean> {
    const result = await this.c.queue.updateOne({ _id: id, leaseOwner: owner }, { $set: { leaseUntil: until } });
    return result.matchedCount === 1;
  }

  async update(id: string, patch: QueueEntryPatch, owner: string | null): Promise<QueueEntry | null> {
    // keepLease: progress written under a lease the worker goes on holding.
    const set: Partial<QueueDoc> = patch.keepLease === true && owner !== null ? {} : { leaseOwner: null, leaseUntil: null };
    if (patch.recipients !== undefined) set.recipients = patch.recipients.map((r) => ({ ...r }));
    if (patch.nextAttemptAt !== undefined) set.nextAttemptAt = patch.nextAttemptAt;
    if (patch.attempts !== undefined) set.attempts = patch.attempts;
    if (patch.meta !== undefined) set.meta = storeMeta(patch.meta);
    // A worker whose lease was taken over writes nothing.
    const filter: Filter<QueueDoc> = owner === null ? { _id: id } : { _id: id, leaseOwner: owner };
    if (Object.keys(set).length === 0) return this.c.queue.findOne(filter).then((doc) => doc && toQueueEntry(doc));
    const result = await this.c.queue.updateOne(filter, { $set: set });
    return result.matchedCount === 1 ? this.get(id) : null;
  }

  async setHeld(id: string, held: boolean): Promise<QueueEntry | null> {
    const result = await this.c.queue.updateOne({ _id: id }, { $set: { held } });
    return result.matchedCount === 1 ? this.get(id) : null;
  }

  async flush(now: Date): Promise<number> {
    const result = await this.c.queue.updateMany({ held: false }, { $set: { nextAttemptAt: now } });
    return result.matchedCount;
  }

  async delete(id: string): Promise<boolean> {
    const doc = await this.c.queue.findOne({ _id: id });
    if (!doc) return false;
    const result = await this.c.queue.deleteOne({ _id: id });
    if (result.deletedCount !== 1) return false;
    await this.blobs.releaseAll(doc.parts);
    return true;
  }
}

function pendingRecipient(recipient: NewQueueEntry['recipients'][number]): QueueRecipient {
  const pending: QueueRecipient = { address: recipient.address, status: 'pending', lastResponse: null };
  if (recipient.notify !== undefined) pending.notify = recipient.notify;
  if (recipient.orcpt !== undefined) pending.orcpt = recipient.orcpt;
  return pending;
}
