import { newId } from '../ids.js';
import type { SieveDeleteResult, SieveScriptRecord, UserId } from '../types.js';
import type { Collections, SieveScriptDoc } from './collections.js';
import { isDuplicateKey, uniqueWrite } from './conflicts.js';

function toRecord(doc: SieveScriptDoc): SieveScriptRecord {
  return {
    userId: doc.userId as UserId,
    name: doc.name,
    content: doc.content,
    size: doc.size,
    active: doc.active,
    updatedAt: doc.updatedAt,
  };
}

/** Sieve scripts per user (RFC 5804) and the vacation memory (RFC 5230 §4.2). */
export class SieveStore {
  constructor(private readonly c: Pick<Collections, 'sieveScripts' | 'vacationReplies'>) {}

  async put(userId: UserId, name: string, content: string): Promise<SieveScriptRecord> {
    const set = { content, size: Buffer.byteLength(content, 'utf8'), updatedAt: new Date() };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.c.sieveScripts.updateOne(
          { userId, name },
          { $set: set, $setOnInsert: { _id: newId(), active: false } },
          { upsert: true },
        );
        break;
      } catch (error) {
        // Two first uploads of one name race to insert: the loser's retry updates.
        if (!isDuplicateKey(error) || attempt >= 5) throw error;
      }
    }
    return (await this.get(userId, name)) as SieveScriptRecord;
  }

  async get(userId: UserId, name: string): Promise<SieveScriptRecord | null> {
    const doc = await this.c.sieveScripts.findOne({ userId, name });
    return doc && toRecord(doc);
  }

  async list(userId: UserId): Promise<SieveScriptRecord[]> {
    return (await this.c.sieveScripts.find({ userId }).sort({ name: 1 }).toArray()).map(toRecord);
  }

  async active(userId: UserId): Promise<SieveScriptRecord | null> {
    const doc = await this.c.sieveScripts.findOne({ userId, active: true });
    return doc && toRecord(doc);
  }

  async setActive(userId: UserId, name: string | null): Promise<boolean> {
    if (name !== null && !(await this.c.sieveScripts.findOne({ userId, name }))) return false;
    for (let attempt = 0; ; attempt++) {
      // The others first, then the one: the partial unique index refuses a second active script,
      // so a concurrent activation makes this write fail and retry rather than leave two.
      await this.c.sieveScripts.updateMany({ userId, active: true, name: { $ne: name ?? '' } }, { $set: { active: false } });
      if (name === null) return true;
      try {
        const result = await this.c.sieveScripts.updateOne({ userId, name }, { $set: { active: true } });
        return result.matchedCount === 1;
      } catch (error) {
        if (!isDuplicateKey(error) || attempt >= 5) throw error;
      }
    }
  }

  async rename(userId: UserId, from: string, to: string): Promise<boolean> {
    const result = await uniqueWrite(
      () => this.c.sieveScripts.updateOne({ userId, name: from }, { $set: { name: to, updatedAt: new Date() } }),
      `Sieve script ${to}`,
    );
    return result.matchedCount === 1;
  }

  async delete(userId: UserId, name: string): Promise<SieveDeleteResult> {
    const result = await this.c.sieveScripts.deleteOne({ userId, name, active: false });
    if (result.deletedCount === 1) return 'deleted';
    return (await this.c.sieveScripts.findOne({ userId, name })) ? 'active' : 'not-found';
  }

  async deleteUser(userId: UserId): Promise<void> {
    await this.c.sieveScripts.deleteMany({ userId });
    await this.c.vacationReplies.deleteMany({ userId });
  }

  async claimVacationReply(userId: UserId, handle: string, sender: string, now: Date, until: Date): Promise<boolean> {
    await this.c.vacationReplies.deleteMany({ userId, expiresAt: { $lte: now } });
    try {
      // Matches only an expired memory; a running one makes the upsert insert a duplicate, refused by the index.
      await this.c.vacationReplies.updateOne(
        { userId, handle, sender, expiresAt: { $lte: now } },
        { $set: { expiresAt: until }, $setOnInsert: { _id: newId() } },
        { upsert: true },
      );
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }
}
