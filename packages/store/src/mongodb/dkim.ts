import { newId } from '../ids.js';
import { domainKey } from '../normalize.js';
import type { DkimKey, DkimKeyPatch, NewDkimKey } from '../types.js';
import type { Collections, DkimDoc } from './collections.js';
import { uniqueWrite } from './conflicts.js';
import { toDkimKey } from './records.js';

/** DKIM signing keys (RFC 6376 §3.1: one key per selector under a domain). */
export class DkimStore {
  constructor(private readonly c: Pick<Collections, 'dkimKeys'>) {}

  async add(key: NewDkimKey): Promise<DkimKey> {
    const doc: DkimDoc = {
      _id: newId(),
      domain: domainKey(key.domain),
      selector: key.selector,
      algorithm: key.algorithm,
      privateKey: key.privateKey,
      publicKey: key.publicKey,
      active: key.active ?? true,
      createdAt: new Date(),
      retireAt: null,
      activateAt: key.activateAt ?? null,
    };
    await uniqueWrite(() => this.c.dkimKeys.insertOne(doc), `DKIM key ${doc.selector}._domainkey.${doc.domain}`);
    return toDkimKey(doc);
  }

  async list(domain: string): Promise<DkimKey[]> {
    const docs = await this.c.dkimKeys.find({ domain: domainKey(domain) }).sort({ createdAt: 1, _id: 1 }).toArray();
    return docs.map(toDkimKey);
  }

  async update(domain: string, selector: string, patch: DkimKeyPatch): Promise<DkimKey | null> {
    const key = { domain: domainKey(domain), selector };
    const set: Partial<DkimDoc> = {};
    if (patch.active !== undefined) set.active = patch.active;
    if (patch.retireAt !== undefined) set.retireAt = patch.retireAt;
    if (patch.activateAt !== undefined) set.activateAt = patch.activateAt;
    if (Object.keys(set).length > 0) await this.c.dkimKeys.updateOne(key, { $set: set });
    const doc = await this.c.dkimKeys.findOne(key);
    return doc && toDkimKey(doc);
  }

  async delete(domain: string, selector: string): Promise<boolean> {
    const result = await this.c.dkimKeys.deleteOne({ domain: domainKey(domain), selector });
    return result.deletedCount === 1;
  }
}
