// DMARC evaluations counted per day for aggregate reports (RFC 7489 §7.2): one document per distinct record, never per message.
import { dmarcResultsKey } from '../dmarc-results.js';
import type { DmarcResult, DmarcResultCount } from '../types.js';
import type { Collections } from './collections.js';

export class DmarcResultStore {
  constructor(private readonly c: Collections) {}

  /** One atomic upsert with $inc: concurrent writers on any node are each counted; the newest record seen is the one reported. */
  async record(result: DmarcResult): Promise<void> {
    const policyDomain = result.policyDomain.toLowerCase();
    const headerFrom = result.headerFrom.toLowerCase();
    const key = dmarcResultsKey(result.results);
    await this.c.dmarcResults.updateOne(
      { _id: JSON.stringify([result.day, policyDomain, headerFrom, result.sourceIp, key]) },
      { $setOnInsert: { day: result.day, policyDomain, headerFrom, sourceIp: result.sourceIp, results: JSON.parse(key) as DmarcResult['results'] }, $set: { published: result.published }, $inc: { count: 1 } },
      { upsert: true },
    );
  }

  async list(day?: string): Promise<DmarcResultCount[]> {
    const docs = await this.c.dmarcResults.find(day === undefined ? {} : { day }).sort({ day: 1, policyDomain: 1, headerFrom: 1, sourceIp: 1 }).toArray();
    return docs.map(({ day: d, policyDomain, headerFrom, sourceIp, results, published, count }) => ({ day: d, policyDomain, headerFrom, sourceIp, results, published, count }));
  }

  async days(): Promise<string[]> {
    const docs = await this.c.dmarcResults.find({}).sort({ day: 1 }).toArray();
    return [...new Set(docs.map((doc) => doc.day))];
  }

  async delete(day: string, policyDomain: string): Promise<number> {
    return (await this.c.dmarcResults.deleteMany({ day, policyDomain: policyDomain.toLowerCase() })).deletedCount;
  }
}
