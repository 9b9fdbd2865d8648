// The MTA-STS policy cache (RFC 8461 §5.1) and the TLS-RPT session counts (RFC 8460 §4), one document each.
import type { MtaStsCacheEntry, TlsResult, TlsResultCount } from '../types.js';
import type { Collections } from './collections.js';

/** One count's identity: every field but the count, in a fixed order. */
function resultKey(result: TlsResult): string {
  return JSON.stringify([result.day, result.policyDomain.toLowerCase(), result.policyType, result.policyString, result.mxHost, result.resultType, result.sendingIp, result.receivingIp]);
}

export class OutboundTlsStore {
  constructor(private readonly c: Collections) {}

  async getPolicy(domain: string): Promise<MtaStsCacheEntry | null> {
    const doc = await this.c.mtaStsPolicies.findOne({ _id: domain.toLowerCase() });
    if (!doc) return null;
    return { domain: doc._id, id: doc.policyId, policy: doc.policy, fetchedAt: doc.fetchedAt, expiresAt: doc.expiresAt };
  }

  async putPolicy(entry: MtaStsCacheEntry): Promise<void> {
    await this.c.mtaStsPolicies.updateOne(
      { _id: entry.domain.toLowerCase() },
      { $set: { policyId: entry.id, policy: entry.policy, fetchedAt: entry.fetchedAt, expiresAt: entry.expiresAt } },
      { upsert: true },
    );
  }

  /** One atomic upsert with $inc: concurrent writers on any node are each counted. */
  async record(result: TlsResult): Promise<void> {
    const { day, policyType, policyString, mxHost, resultType, sendingIp, receivingIp } = result;
    await this.c.tlsResults.updateOne(
      { _id: resultKey(result) },
      { $setOnInsert: { day, policyDomain: result.policyDomain.toLowerCase(), policyType, policyString, mxHost, resultType, sendingIp, receivingIp }, $inc: { count: 1 } },
      { upsert: true },
    );
  }

  async list(day?: string): Promise<TlsResultCount[]> {
    const docs = await this.c.tlsResults.find(day === undefined ? {} : { day }).sort({ day: 1, policyDomain: 1 }).toArray();
    return docs.map(({ day: d, policyDomain, policyType, policyString, mxHost, resultType, sendingIp, receivingIp, count }) => ({ day: d, policyDomain, policyType, policyString, mxHost, resultType, sendingIp, receivingIp, count }));
  }

  async days(): Promise<string[]> {
    const docs = await this.c.tlsResults.find({}).sort({ day: 1 }).toArray();
    return [...new Set(docs.map((doc) => doc.day))];
  }

  async delete(day: string, policyDomain: string): Promise<number> {
    return (await this.c.tlsResults.deleteMany({ day, policyDomain: policyDomain.toLowerCase() })).deletedCount;
  }
}
