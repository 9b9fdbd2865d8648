import type { Filter, UpdateFilter } from 'mongodb';
import { StoreError } from '../errors.js';
import { newId } from '../ids.js';
import { addressKey, domainKey, domainOf } from '../normalize.js';
import type { Alias, Domain, NewUser, SenderLogin, User, UserPatch } from '../types.js';
import type { AliasDoc, Collections, SenderLoginDoc, UserDoc } from './collections.js';
import { uniqueWrite, upsertWithRetry } from './conflicts.js';
import { sortByText } from './order.js';
import { toAlias, toDomain, toSenderLogin, toUser } from './records.js';

/** Domains, users, aliases (virtual_alias_maps) and sender logins (smtpd_sender_login_maps). */
export class Directory {
  constructor(private readonly c: Pick<Collections, 'domains' | 'users' | 'aliases' | 'senderLogins'>) {}

  /* domains ---------------------------------------------------------------- */

  async addDomain(name: string): Promise<Domain> {
    const doc = { _id: newId(), name: domainKey(name), createdAt: new Date() };
    await uniqueWrite(() => this.c.domains.insertOne(doc), `domain ${doc.name}`);
    return toDomain(doc);
  }

  async getDomain(name: string): Promise<Domain | null> {
    const doc = await this.c.domains.findOne({ name: domainKey(name) });
    return doc && toDomain(doc);
  }

  async listDomains(): Promise<Domain[]> {
    const docs = await this.c.domains.find({}).toArray();
    return sortByText(docs.map(toDomain), (d) => d.name);
  }

  async deleteDomain(name: string): Promise<boolean> {
    const result = await this.c.domains.deleteOne({ name: domainKey(name) });
    return result.deletedCount === 1;
  }

  /* users ------------------------------------------------------------------ */

  async addUser(user: NewUser): Promise<User> {
    const address = addressKey(user.address);
    const doc: UserDoc = {
      _id: newId(),
      address,
      domain: domainOf(address),
      passwordHash: user.passwordHash,
      name: user.name ?? null,
      quota: user.quota ?? 0,
      storageUsed: 0,
      disabled: user.disabled ?? false,
      createdAt: new Date(),
    };
    await uniqueWrite(() => this.c.users.insertOne(doc), `user ${address}`);
    return toUser(doc);
  }

  async getUser(address: string): Promise<User | null> {
    const doc = await this.c.users.findOne({ address: addressKey(address) });
    return doc && toUser(doc);
  }

  async getUserById(id: string): Promise<User | null> {
    const doc = await this.c.users.findOne({ _id: id });
    return doc && toUser(doc);
  }

  async listUsers(filter?: { domain?: string }): Promise<User[]> {
    const docs = await this.c.users.find(usersFilter(filter)).toArray();
    return sortByText(docs.map(toUser), (u) => u.address);
  }

  countUsers(filter?: { domain?: string }): Promise<number> {
    return this.c.users.countDocuments(usersFilter(filter));
  }

  async updateUser(address: string, patch: UserPatch): Promise<User | null> {
    const key = addressKey(address);
    const set: Partial<UserDoc> = {};
    if (patch.passwordHash !== undefined) set.passwordHash = patch.passwordHash;
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.quota !== undefined) set.quota = patch.quota;
    if (patch.disabled !== undefined) set.disabled = patch.disabled;
    if (Object.keys(set).length > 0) await this.c.users.updateOne({ address: key }, { $set: set });
    return this.getUser(key);
  }

  async deleteUserRecord(id: string): Promise<boolean> {
    const result = await this.c.users.deleteOne({ _id: id });
    return result.deletedCount === 1;
  }

  /** Moves a user's storageUsed by `delta` bytes (one atomic `$inc`). */
  async addStorage(userId: string, delta: number): Promise<void> {
    if (delta !== 0) await this.c.users.updateOne({ _id: userId }, { $inc: { storageUsed: delta } });
  }

  /* aliases ---------------------------------------------------------------- */

  async addAliasTargets(address: string, targets: string[]): Promise<Alias> {
    const key = addressKey(address);
    const add = [...new Set(targets.map(addressKey).filter((t) => t !== ''))];
    if (add.length === 0) throw new StoreError('invalid', `alias ${key} needs at least one target`);
    const update: UpdateFilter<AliasDoc> = {
      $addToSet: { targets: { $each: add } },
      $setOnInsert: { _id: newId(), domain: domainOf(key), createdAt: new Date() },
    };
    await upsertWithRetry(() => this.c.aliases.updateOne({ address: key }, update, { upsert: true }));
    const alias = await this.getAlias(key);
    if (!alias) throw new StoreError('conflict', `alias ${key} was removed while targets were added`);
    return alias;
  }

  async getAlias(address: string): Promise<Alias | null> {
    const doc = await this.c.aliases.findOne({ address: addressKey(address) });
    return doc && toAlias(doc);
  }

  async listAliases(filter?: { domain?: string }): Promise<Alias[]> {
    const query: Filter<AliasDoc> = filter?.domain === undefined ? {} : { domain: domainKey(filter.domain) };
    const docs = await this.c.aliases.find(query).toArray();
    return sortByText(docs.map(toAlias), (a) => a.address);
  }

  async findAliasesByTarget(target: string): Promise<Alias[]> {
    const docs = await this.c.aliases.find({ targets: addressKey(target) }).toArray();
    return sortByText(docs.map(toAlias), (a) => a.address);
  }

  async removeAlias(address: string, target?: string): Promise<boolean> {
    const key = addressKey(address);
    if (target === undefined) {
      const result = await this.c.aliases.deleteOne({ address: key });
      return result.deletedCount === 1;
    }
    const drop = addressKey(target);
    // Compare-and-set on the whole target list ($pull is not available everywhere).
    for (;;) {
      const doc = await this.c.aliases.findOne({ address: key });
      if (!doc || !doc.targets.includes(drop)) return false;
      const rest = doc.targets.filter((t) => t !== drop);
      const unchanged = { _id: doc._id, targets: doc.targets };
      const result =
        rest.length === 0
          ? await this.c.aliases.deleteOne(unchanged)
          : await this.c.aliases.updateOne(unchanged, { $set: { targets: rest } });
      if (('deletedCount' in result ? result.deletedCount : result.matchedCount) === 1) return true;
    }
  }

  /* sender logins ---------------------------------------------------------- */

  async addSenderLogin(address: string, login: string): Promise<SenderLogin> {
    const pair = { address: addressKey(address), login: addressKey(login) };
    // Idempotent: an existing pair is returned as it is.
    await upsertWithRetry(() =>
      this.c.senderLogins.updateOne(pair, { $setOnInsert: { _id: newId(), createdAt: new Date() } }, { upsert: true }),
    );
    const doc = await this.c.senderLogins.findOne(pair);
    if (!doc) throw new StoreError('conflict', `sender login ${pair.login} → ${pair.address} was removed meanwhile`);
    return toSenderLogin(doc);
  }

  async removeSenderLogin(address: string, login: string): Promise<boolean> {
    const result = await this.c.senderLogins.deleteOne({ address: addressKey(address), login: addressKey(login) });
    return result.deletedCount === 1;
  }

  async listSenderLogins(filter?: { address?: string; login?: string }): Promise<SenderLogin[]> {
    const query: Filter<SenderLoginDoc> = {};
    if (filter?.address !== undefined) query.address = addressKey(filter.address);
    if (filter?.login !== undefined) query.login = addressKey(filter.login);
    const docs = await this.c.senderLogins.find(query).toArray();
    return sortByText(docs.map(toSenderLogin), (s) => s.address, (s) => s.login);
  }
}

function usersFilter(filter?: { domain?: string }): Filter<UserDoc> {
  return filter?.domain === undefined ? {} : { domain: domainKey(filter.domain) };
}
