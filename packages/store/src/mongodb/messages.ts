import type { Filter } from 'mongodb';
import { StoreError, StoreNotFoundError } from '../errors.js';
import { applyFlagOperation, sameFlags } from '../flags.js';
import { newId } from '../ids.js';
import type {
  AppendResult,
  CopyResult,
  FlagSearch,
  FlagUpdate,
  FlagUpdateResult,
  JournalEntry,
  MailboxTotals,
  MessageCountFilter,
  MessageFlags,
  MessageQuery,
  MessageRecord,
  NewMessage,
} from '../types.js';
import type { SequenceAllocator } from './allocator.js';
import { Appender } from './appender.js';
import type { BlobStore } from './blobs.js';
import type { Collections, MailboxDoc, MessageDoc } from './collections.js';
import type { Directory } from './directory.js';
import { hasSeen, mailboxTotals, searchFlags } from './flag-search.js';
import { appendEntry } from './journal.js';
import type { Journal, NewJournalEntry } from './journal.js';
import { storeMeta, toMailbox, toMessage } from './records.js';

/**
 * Messages and their journal. The order of writes is chosen so that a crash
 * between two of them never loses data: blobs are referenced before the
 * message that uses them exists, and released only after it is gone; UIDs and
 * MODSEQs come from the allocator and every MODSEQ it grants gets one journal entry.
 */
export class MessageStore {
  private readonly appender: Appender;

  constructor(
    private readonly c: Pick<Collections, 'messages' | 'mailboxes'>,
    private readonly blobs: BlobStore,
    private readonly allocator: SequenceAllocator,
    private readonly journal: Journal,
    private readonly directory: Directory,
  ) {
    this.appender = new Appender(c, blobs, allocator, journal, directory);
  }

  /** Batched with the appends running alongside it: see appender.ts. */
  append(mailboxId: string, message: NewMessage): Promise<AppendResult> {
    return this.appender.append(mailboxId, message);
  }

  async get(mailboxId: string, uid: number): Promise<MessageRecord | null> {
    const doc = await this.c.messages.findOne({ mailboxId, uid });
    return doc && toMessage(doc);
  }

  async getById(id: string): Promise<MessageRecord | null> {
    const doc = await this.c.messages.findOne({ _id: id });
    return doc && toMessage(doc);
  }

  async list(mailboxId: string, query: MessageQuery = {}): Promise<MessageRecord[]> {
    const docs = await this.c.messages.find(this.filter(mailboxId, query)).sort({ uid: 1 }).toArray();
    return docs.map(toMessage);
  }

  /** The same query projected to UID, MODSEQ and flags: the headers and parts stay in the database. */
  async listFlags(mailboxId: string, query: MessageQuery = {}): Promise<MessageFlags[]> {
    const docs = await this.c.messages
      .find(this.filter(mailboxId, query), { projection: { _id: 0, uid: 1, modseq: 1, flags: 1 } })
      .sort({ uid: 1 })
      .toArray();
    return docs.map((doc) => ({ uid: doc.uid, modseq: doc.modseq, flags: [...doc.flags] }));
  }

  private filter(mailboxId: string, query: MessageQuery): Filter<MessageDoc> {
    const filter: Filter<MessageDoc> = { mailboxId };
    const selector = query.uids;
    if (selector && 'uids' in selector) filter.uid = { $in: selector.uids };
    else if (selector) filter.uid = selector.max === null ? { $gte: selector.min } : { $gte: selector.min, $lte: selector.max };
    if (query.changedSince !== undefined) filter.modseq = { $gt: query.changedSince };
    return filter;
  }

  count(mailboxId: string, filter: MessageCountFilter = {}): Promise<number> {
    return this.c.messages.countDocuments({
      mailboxId,
      // Served by { mailboxId, seen, uid } (seen mirrors \Seen).
      ...(filter.unseen ? { seen: false } : {}),
      ...(filter.aboveUid !== undefined ? { uid: { $gt: filter.aboveUid } } : {}),
    });
  }

  /** See flag-search.ts. */
  searchFlags(mailboxId: string, search: FlagSearch): Promise<number[]> {
    return searchFlags(this.c.messages, mailboxId, search);
  }

  totals(mailboxId: string): Promise<MailboxTotals> {
    return mailboxTotals(this.c.messages, mailboxId);
  }

  read(message: Pick<MessageRecord, 'parts'>): Promise<Buffer> {
    return this.blobs.concat(message.parts);
  }

  readMany(list: readonly Pick<MessageRecord, 'parts'>[]): Promise<Buffer[]> {
    return this.blobs.concatMany(list.map((message) => message.parts));
  }

  async setMeta(id: string, meta: Record<string, unknown> | null): Promise<void> {
    await this.c.messages.updateOne({ _id: id }, { $set: { meta: storeMeta(meta) } });
  }

  /**
   * RFC 7162 §3.1.3: each changed message gets its own new MODSEQ. The write is
   * a compare-and-set on the message's MODSEQ as read; when another writer got
   * there first, the granted MODSEQ is journaled as a no-op and the message is
   * planned again from its new state (so UNCHANGEDSINCE sees that change too).
   */
  async updateFlags(mailboxId: string, uids: number[], update: FlagUpdate): Promise<FlagUpdateResult> {
    let mailbox = toMailbox(await this.requireMailbox(mailboxId));
    const updated: FlagUpdateResult['updated'] = [];
    const modified = new Set<number>();
    let pending = await this.byUid(mailboxId, uids);
    while (pending.length > 0) {
      const changes: { doc: MessageDoc; flags: string[] }[] = [];
      for (const doc of pending) {
        if (update.unchangedSince !== undefined && doc.modseq > update.unchangedSince) modified.add(doc.uid);
        else {
          const flags = applyFlagOperation(doc.flags, update.op, update.flags);
          if (!sameFlags(doc.flags, flags)) changes.push({ doc, flags });
        }
      }
      if (changes.length === 0) break;
      const grant = await this.allocator.allocate(mailboxId, 0, changes.length);
      mailbox = toMailbox(grant.mailbox);
      const entries: NewJournalEntry[] = [];
      const retry: string[] = [];
      for (const [i, { doc, flags }] of changes.entries()) {
        const modseq = grant.firstModseq + i;
        const result = await this.c.messages.updateOne({ _id: doc._id, modseq: doc.modseq }, { $set: { flags, seen: hasSeen(flags), modseq } });
        if (result.matchedCount === 1) {
          updated.push({ uid: doc.uid, flags, modseq });
          entries.push({ mailboxId, modseq, kind: 'flags', uid: doc.uid, messageId: doc._id, flags });
        } else {
          entries.push(await this.noOpEntry(doc, modseq));
          retry.push(doc._id);
        }
      }
      await this.journal.write(entries);
      pending = retry.length === 0 ? [] : await this.c.messages.find({ _id: { $in: retry } }).sort({ uid: 1 }).toArray();
    }
    updated.sort((a, b) => a.uid - b.uid);
    return { updated, modified: [...modified].sort((a, b) => a - b), mailbox };
  }

  async expunge(mailboxId: string, uids: number[]): Promise<number[]> {
    await this.requireMailbox(mailboxId);
    const gone: MessageDoc[] = [];
    // Delete first, then allocate: only the writer whose delete succeeded journals the expunge.
    for (const doc of await this.byUid(mailboxId, uids)) {
      const result = await this.c.messages.deleteOne({ _id: doc._id });
      if (result.deletedCount === 1) gone.push(doc);
    }
    if (gone.length === 0) return [];
    try {
      const grant = await this.allocator.allocate(mailboxId, 0, gone.length);
      await this.journal.write(
        gone.map((doc, i) => ({ mailboxId, modseq: grant.firstModseq + i, kind: 'expunge', uid: doc.uid, messageId: doc._id })),
      );
    } finally {
      await this.forget(gone);
    }
    return gone.map((doc) => doc.uid);
  }

  async copy(from: string, uids: number[], to: string): Promise<CopyResult> {
    const source = await this.requireMailbox(from);
    const destination = await this.requireMailbox(to);
    if (source.userId !== destination.userId) {
      throw new StoreError('invalid', `mailboxes ${from} and ${to} belong to different users`);
    }
    const originals: MessageDoc[] = [];
    for (const doc of await this.byUid(from, uids)) {
      if (await this.shareParts(doc.parts)) originals.push(doc);
    }
    if (originals.length === 0) return { uidMap: [], uidValidity: destination.uidValidity, mailbox: toMailbox(destination) };

    let grant;
    try {
      grant = await this.allocator.allocate(to, originals.length, originals.length);
    } catch (error) {
      await this.blobs.releaseAll(originals.flatMap((doc) => doc.parts));
      throw error;
    }
    // A copy does not carry the delivery identity: it belongs to the delivered message only.
    const copies = originals.map(
      ({ deliveryId: _delivered, ...doc }, i): MessageDoc => ({
        ...doc,
        _id: newId(),
        mailboxId: to,
        uid: grant.firstUid + i,
        modseq: grant.firstModseq + i,
        flags: doc.flags.filter((flag) => flag !== '\\Recent'),
        seen: hasSeen(doc.flags),
      }),
    );
    const stored: MessageDoc[] = [];
    let failure: unknown = null;
    for (const copy of copies) {
      try {
        await this.c.messages.insertOne(copy);
        stored.push(copy);
      } catch (error) {
        failure ??= error;
        await this.journal.fill([copy]);
        await this.blobs.releaseAll(copy.parts);
      }
    }
    await this.journal.write(stored.map(appendEntry));
    await this.directory.addStorage(destination.userId, totalSize(stored));
    if (failure) throw failure;
    return {
      uidMap: originals.map((doc, i) => ({ sourceUid: doc.uid, destinationUid: grant.firstUid + i })),
      uidValidity: destination.uidValidity,
      mailbox: toMailbox(grant.mailbox),
    };
  }

  async move(from: string, uids: number[], to: string): Promise<CopyResult> {
    const result = await this.copy(from, uids, to);
    await this.expunge(from, result.uidMap.map((pair) => pair.sourceUid));
    return result;
  }

  readJournal(mailboxId: string, since: number, limit?: number): Promise<JournalEntry[]> {
    return this.journal.read(mailboxId, since, limit);
  }

  /** Deletes every message of a mailbox, releasing blobs and the owner's storage. */
  async purge(mailboxId: string): Promise<void> {
    const gone: MessageDoc[] = [];
    for await (const doc of this.c.messages.find({ mailboxId })) {
      const result = await this.c.messages.deleteOne({ _id: doc._id });
      if (result.deletedCount === 1) gone.push(doc);
    }
    await this.forget(gone);
  }

  /** After messages are deleted: release their blobs and their owners' storage. */
  private async forget(gone: MessageDoc[]): Promise<void> {
    const byUser = new Map<string, number>();
    for (const doc of gone) byUser.set(doc.userId, (byUser.get(doc.userId) ?? 0) + doc.size);
    for (const [userId, size] of byUser) await this.directory.addStorage(userId, -size);
    await this.blobs.releaseAll(gone.flatMap((doc) => doc.parts));
  }

  /** A harmless entry for a granted MODSEQ whose change lost the race: the message's current flags, or its expunge. */
  private async noOpEntry(doc: MessageDoc, modseq: number): Promise<NewJournalEntry> {
    const current = await this.c.messages.findOne({ _id: doc._id });
    const base = { mailboxId: doc.mailboxId, modseq, uid: doc.uid, messageId: doc._id };
    return current ? { ...base, kind: 'flags', flags: current.flags } : { ...base, kind: 'expunge' };
  }

  private byUid(mailboxId: string, uids: number[]): Promise<MessageDoc[]> {
    return this.c.messages
      .find({ mailboxId, uid: { $in: [...new Set(uids)] } })
      .sort({ uid: 1 })
      .toArray();
  }

  private async requireMailbox(id: string): Promise<MailboxDoc> {
    const mailbox = await this.c.mailboxes.findOne({ _id: id });
    if (!mailbox) throw new StoreNotFoundError(`mailbox ${id} does not exist`);
    return mailbox;
  }

  /** One more reference per part; false (and nothing kept) when a blob is gone, i.e. the source was expunged meanwhile. */
  private async shareParts(parts: string[]): Promise<boolean> {
    const added: string[] = [];
    for (const part of parts) {
      if (!(await this.blobs.addRef(part))) {
        await this.blobs.releaseAll(added);
        return false;
      }
      added.push(part);
    }
    return true;
  }
}

function totalSize(docs: MessageDoc[]): number {
  return docs.reduce((total, doc) => total + doc.size, 0);
}
