import type { Filter } from 'mongodb';
import { StoreConflictError, StoreNotFoundError } from '../errors.js';
import { newId, newUidValidity } from '../ids.js';
import { NEW_MAILBOX_MODSEQ } from '../modseq.js';
import type { Mailbox, NewMailbox } from '../types.js';
import type { Collections, MailboxDoc } from './collections.js';
import { isDuplicateKey, uniqueWrite } from './conflicts.js';
import type { Journal } from './journal.js';
import type { MessageStore } from './messages.js';
import { sortByText } from './order.js';
import { toMailbox } from './records.js';

/** A user's mailboxes: `/`-delimited paths, unique per user. */
export class MailboxStore {
  constructor(
    private readonly c: Pick<Collections, 'mailboxes'>,
    private readonly messages: MessageStore,
    private readonly journal: Journal,
  ) {}

  async create(userId: string, path: string, options: NewMailbox = {}): Promise<Mailbox> {
    const doc: MailboxDoc = {
      _id: newId(),
      userId,
      path,
      specialUse: options.specialUse ?? null,
      subscribed: options.subscribed ?? false,
      uidValidity: options.uidValidity ?? newUidValidity(),
      uidNext: 1,
      highestModseq: NEW_MAILBOX_MODSEQ,
      recentUid: 0,
      createdAt: new Date(),
    };
    await uniqueWrite(() => this.c.mailboxes.insertOne(doc), `mailbox ${path}`);
    return toMailbox(doc);
  }

  async get(userId: string, path: string): Promise<Mailbox | null> {
    const doc = await this.c.mailboxes.findOne({ userId, path });
    return doc && toMailbox(doc);
  }

  async getById(id: string): Promise<Mailbox | null> {
    const doc = await this.c.mailboxes.findOne({ _id: id });
    return doc && toMailbox(doc);
  }

  async list(userId: string): Promise<Mailbox[]> {
    const docs = await this.c.mailboxes.find({ userId }).toArray();
    return sortByText(docs.map(toMailbox), (m) => m.path);
  }

  /**
   * Renames `from` and every `from/…` below it, parent first. Without a
   * transaction, a clash found midway (a concurrent create) puts back what was
   * already renamed, so the rename is all or nothing.
   */
  async rename(userId: string, from: string, to: string): Promise<Mailbox[]> {
    const all = await this.c.mailboxes.find({ userId }).toArray();
    if (!all.some((m) => m.path === from)) throw new StoreNotFoundError(`mailbox ${from} does not exist`);
    const moving = all
      .filter((m) => m.path === from || m.path.startsWith(`${from}/`))
      .map((doc) => ({ doc, path: to + doc.path.slice(from.length) }))
      .sort((a, b) => a.doc.path.length - b.doc.path.length);
    const taken = new Set(all.map((m) => m.path));
    const clash = moving.find((m) => taken.has(m.path));
    if (clash) throw new StoreConflictError(`mailbox ${clash.path} already exists`);

    const done: typeof moving = [];
    for (const move of moving) {
      let renamed = false;
      try {
        const result = await this.c.mailboxes.updateOne({ _id: move.doc._id, path: move.doc.path }, { $set: { path: move.path } });
        renamed = result.matchedCount === 1;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      if (!renamed) {
        for (const back of done.reverse()) {
          await this.c.mailboxes.updateOne({ _id: back.doc._id, path: back.path }, { $set: { path: back.doc.path } });
        }
        throw new StoreConflictError(`mailbox ${move.path} already exists or ${move.doc.path} changed meanwhile`);
      }
      done.push(move);
    }
    return sortByText(
      done.map((m) => toMailbox({ ...m.doc, path: m.path })),
      (m) => m.path,
    );
  }

  async setSubscribed(id: string, subscribed: boolean): Promise<Mailbox | null> {
    await this.c.mailboxes.updateOne({ _id: id }, { $set: { subscribed } });
    return this.getById(id);
  }

  /**
   * See Store.claimRecent: compare-and-set on the mark just read (as the UID allocator does; the
   * test server has no `$max` and no atomic findOneAndUpdate), so two claimers never share a UID.
   */
  async claimRecent(id: string, upTo: number): Promise<number> {
    for (;;) {
      const current = await this.c.mailboxes.findOne({ _id: id });
      if (!current) throw new StoreNotFoundError(`mailbox ${id} does not exist`);
      const mark = current.recentUid ?? 0;
      if (mark >= upTo) return mark;
      // `null` also matches a mailbox stored before the mark existed.
      const unchanged = { _id: id, recentUid: current.recentUid ?? null } as Filter<MailboxDoc>;
      const result = await this.c.mailboxes.updateOne(unchanged, { $set: { recentUid: upTo } });
      if (result.matchedCount === 1) return mark;
    }
  }

  /**
   * See Store.raiseUidNext: compare-and-set on the uidNext just read, as the UID allocator does,
   * so an allocation in flight either sees the raised value or makes this retry.
   */
  async raiseUidNext(id: string, uidNext: number): Promise<Mailbox> {
    for (;;) {
      const current = await this.c.mailboxes.findOne({ _id: id });
      if (!current) throw new StoreNotFoundError(`mailbox ${id} does not exist`);
      if (current.uidNext >= uidNext) return toMailbox(current);
      const result = await this.c.mailboxes.updateOne({ _id: id, uidNext: current.uidNext }, { $set: { uidNext } });
      if (result.matchedCount === 1) return toMailbox({ ...current, uidNext });
    }
  }

  /** Journal retention over every mailbox (see Journal.prune). */
  async pruneJournal(before: Date): Promise<number> {
    let pruned = 0;
    for await (const mailbox of this.c.mailboxes.find({ highestModseq: { $gt: NEW_MAILBOX_MODSEQ } })) pruned += await this.journal.prune(mailbox._id, mailbox.highestModseq, before);
    return pruned;
  }

  /** Deletes the mailbox with its messages (blobs and storage released) and journal. */
  async delete(id: string): Promise<boolean> {
    if (!(await this.c.mailboxes.findOne({ _id: id }))) return false;
    await this.messages.purge(id);
    const result = await this.c.mailboxes.deleteOne({ _id: id });
    // Again: an append granted its UID before the mailbox went may have landed since.
    await this.messages.purge(id);
    await this.journal.deleteMailbox(id);
    return result.deletedCount === 1;
  }
}
