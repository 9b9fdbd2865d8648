// Failed logins and bans per key, one document each, shared by every process and node.
import type { AuthBan, AuthThrottleState } from '../types.js';
import type { AuthThrottleDoc, Collections } from './collections.js';
import { isDuplicateKey } from './conflicts.js';

const EPOCH = new Date(0);

function toState(doc: AuthThrottleDoc | null, now: Date, windowMs: number): AuthThrottleState {
  if (!doc) return { failures: 0, bannedUntil: null };
  return {
    failures: doc.windowStart.getTime() > now.getTime() - windowMs ? doc.failures : 0,
    bannedUntil: doc.bannedUntil.getTime() > now.getTime() ? doc.bannedUntil : null,
  };
}

export class AuthThrottleStore {
  constructor(private readonly c: Collections) {}

  /**
   * A failure inside the open window is one atomic $inc; otherwise the window
   * is restarted by an update conditioned on it having passed (or an insert),
   * so concurrent failures from several nodes are each counted once.
   */
  async recordFailure(key: string, now: Date, windowMs: number): Promise<AuthThrottleState> {
    const cutoff = new Date(now.getTime() - windowMs);
    for (let attempt = 0; ; attempt++) {
      const counted = await this.c.authThrottle.findOneAndUpdate({ _id: key, windowStart: { $gt: cutoff } }, { $inc: { failures: 1 } }, { returnDocument: 'after' });
      if (counted) return toState(counted, now, windowMs);
      const restarted = await this.c.authThrottle.updateOne({ _id: key, windowStart: { $lte: cutoff } }, { $set: { failures: 1, windowStart: now } });
      if (restarted.matchedCount === 0) {
        try {
          await this.c.authThrottle.insertOne({ _id: key, failures: 1, windowStart: now, bannedUntil: EPOCH });
        } catch (error) {
          // Another writer opened the window first: count this failure in it.
          if (isDuplicateKey(error) && attempt < 5) continue;
          throw error;
        }
      }
      await this.c.authThrottle.deleteMany({ _id: { $ne: key }, windowStart: { $lte: cutoff }, bannedUntil: { $lte: now } });
      return toState(await this.c.authThrottle.findOne({ _id: key }), now, windowMs);
    }
  }

  async get(key: string, now: Date, windowMs: number): Promise<AuthThrottleState> {
    return toState(await this.c.authThrottle.findOne({ _id: key }), now, windowMs);
  }

  async ban(key: string, until: Date): Promise<void> {
    const existing = await this.c.authThrottle.findOne({ _id: key });
    const bannedUntil = existing && existing.bannedUntil > until ? existing.bannedUntil : until;
    await this.c.authThrottle.updateOne({ _id: key }, { $set: { failures: 0, windowStart: EPOCH, bannedUntil } }, { upsert: true });
  }

  async lift(key: string): Promise<void> {
    await this.c.authThrottle.deleteOne({ _id: key });
  }

  async listBans(now: Date): Promise<AuthBan[]> {
    const docs = await this.c.authThrottle.find({ bannedUntil: { $gt: now } }).sort({ bannedUntil: 1, _id: 1 }).toArray();
    return docs.map((doc) => ({ key: doc._id, bannedUntil: doc.bannedUntil }));
  }

  async clearFailures(key: string): Promise<void> {
    await this.c.authThrottle.updateOne({ _id: key }, { $set: { failures: 0, windowStart: EPOCH } });
  }
}
