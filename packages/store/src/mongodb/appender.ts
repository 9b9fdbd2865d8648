import { StoreNotFoundError } from '../errors.js';
import { normalizeFlags } from '../flags.js';
import { newId } from '../ids.js';
import type { AppendResult, MessageHeaders, NewMessage } from '../types.js';
import type { Grant, SequenceAllocator } from './allocator.js';
import { hasSeen } from './flag-search.js';
import type { BlobStore } from './blobs.js';
import type { Collections, MailboxDoc, MessageDoc } from './collections.js';
import type { Directory } from './directory.js';
import { appendEntry } from './journal.js';
import type { Journal } from './journal.js';
import { storeMeta, toMailbox, toMessage } from './records.js';

/** Bounds of one batch: big enough to amortise the round trips, small enough for a few commands. */
const MAX_BATCH_MESSAGES = 500;
const MAX_BATCH_BYTES = 32 * 1024 * 1024;

/** One appendMessage call waiting for its batch. */
interface Pending {
  mailboxId: string;
  message: NewMessage;
  size: number;
  /** The default internal date: when appendMessage was called. */
  calledAt: Date;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** A pending append whose mailbox exists, as it moves through the batch. */
interface Live {
  pending: Pending;
  mailbox: MailboxDoc;
  parts: string[];
  grant?: Grant;
  doc?: MessageDoc;
}

/**
 * Appends messages in batches (group commit): the appends that arrive while a
 * batch is being written form the next one, which then costs the same few
 * commands as a single append — one read of the mailboxes, the blob
 * references (BlobStore.putMany), one UID/MODSEQ reservation per mailbox, one
 * insertMany of the messages, one of their journal entries, one storage
 * update per user. The order of writes is the one a single append uses, so a
 * crash between two of them never loses data: blobs are referenced before the
 * messages that use them exist, and every MODSEQ granted gets a journal entry.
 */
export class Appender {
  private queue: Pending[] = [];
  private running = false;

  constructor(
    private readonly c: Pick<Collections, 'messages' | 'mailboxes'>,
    private readonly blobs: BlobStore,
    private readonly allocator: SequenceAllocator,
    private readonly journal: Journal,
    private readonly directory: Directory,
  ) {}

  append(mailboxId: string, message: NewMessage): Promise<AppendResult> {
    const size = message.parts.reduce((total, part) => total + part.length, 0);
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ mailboxId, message, size, calledAt: new Date(), resolve, reject });
      if (this.running) return;
      this.running = true;
      // The first batch starts once the current I/O callbacks have run, so that appends arriving together share it.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.take();
      try {
        await this.appendBatch(batch);
      } catch (error) {
        // Unexpected (a failing clean-up): whoever is not settled yet gets the error.
        for (const pending of batch) pending.reject(error);
      }
    }
    this.running = false;
  }

  /**
   * The next batch, in arrival order: at least one append, then up to the bounds.
   * A second append of a (mailbox, deliveryId) already in the batch waits for the
   * next one, where it finds the first stored (one insertMany never holds both).
   */
  private take(): Pending[] {
    let bytes = 0;
    let count = 0;
    const batch: Pending[] = [];
    const later: Pending[] = [];
    const deliveries = new Set<string>();
    for (const [i, pending] of this.queue.entries()) {
      if (count > 0 && (count >= MAX_BATCH_MESSAGES || bytes + pending.size > MAX_BATCH_BYTES)) {
        later.push(...this.queue.slice(i));
        break;
      }
      const key = deliveryKey(pending.mailboxId, pending.message.deliveryId);
      if (key !== null && deliveries.has(key)) {
        later.push(pending);
        continue;
      }
      if (key !== null) deliveries.add(key);
      batch.push(pending);
      bytes += pending.size;
      count++;
    }
    this.queue = later;
    return batch;
  }

  /** Writes one batch and settles every append in it. */
  private async appendBatch(batch: Pending[]): Promise<void> {
    const mailboxIds = [...new Set(batch.map((pending) => pending.mailboxId))];
    const mailboxes = new Map((await this.c.mailboxes.find({ _id: { $in: mailboxIds } }).toArray()).map((doc) => [doc._id, doc]));
    let live: Live[] = [];
    for (const pending of batch) {
      const mailbox = mailboxes.get(pending.mailboxId);
      if (mailbox) live.push({ pending, mailbox, parts: [] });
      else pending.reject(new StoreNotFoundError(`mailbox ${pending.mailboxId} does not exist`));
    }
    live = await this.settleDelivered(live);
    if (live.length === 0) return;

    // Blobs first: referenced before any message uses them.
    let hashes: string[];
    try {
      hashes = await this.blobs.putMany(live.flatMap((item) => item.pending.message.parts));
    } catch (error) {
      for (const item of live) item.pending.reject(error);
      return;
    }
    let offset = 0;
    for (const item of live) {
      item.parts = hashes.slice(offset, offset + item.pending.message.parts.length);
      offset += item.parts.length;
    }

    // All requested in the same tick: the allocator reserves them with one compare-and-set per mailbox.
    const grants = await Promise.allSettled(live.map((item) => this.allocator.allocate(item.pending.mailboxId, 1, 1)));
    const ungranted: Live[] = [];
    for (const [i, outcome] of grants.entries()) {
      const item = live[i]!;
      if (outcome.status === 'fulfilled') item.grant = outcome.value;
      else {
        ungranted.push(item);
        item.pending.reject(outcome.reason);
      }
    }
    if (ungranted.length > 0) {
      await this.blobs.releaseAll(ungranted.flatMap((item) => item.parts));
      live = live.filter((item) => item.grant);
    }
    if (live.length === 0) return;

    const docs = live.map((item) => (item.doc = messageDoc(item)));
    const { stored, error } = await this.insert(docs);
    const failed = live.filter((item) => !stored.has(item.doc!._id));
    if (failed.length > 0) {
      await this.journal.fill(failed.map((item) => item.doc!));
      await this.blobs.releaseAll(failed.flatMap((item) => item.parts));
      // A delivery that lost the race on the unique (mailboxId, deliveryId) index to another writer is a duplicate, not a failure.
      const undelivered = await this.settleDelivered(failed);
      for (const item of undelivered) item.pending.reject(error);
      live = live.filter((item) => stored.has(item.doc!._id));
    }
    if (live.length === 0) return;

    // The messages exist now: their storage counts even if the journal write fails.
    let failure: { error: unknown } | null = null;
    try {
      await this.journal.write(live.map((item) => appendEntry(item.doc!)));
    } catch (error) {
      failure = { error };
    }
    const byUser = new Map<string, number>();
    for (const item of live) byUser.set(item.mailbox.userId, (byUser.get(item.mailbox.userId) ?? 0) + item.pending.size);
    for (const [userId, size] of byUser) {
      try {
        await this.directory.addStorage(userId, size);
      } catch (error) {
        failure ??= { error };
      }
    }
    for (const item of live) {
      if (failure) item.pending.reject(failure.error);
      else item.pending.resolve({ message: toMessage(item.doc!), mailbox: toMailbox(item.grant!.mailbox) });
    }
  }

  /**
   * Resolves, as duplicates, the appends whose mailbox already holds a message
   * with their deliveryId (NewMessage.deliveryId); returns the others.
   */
  private async settleDelivered(items: Live[]): Promise<Live[]> {
    const keyed = items.filter((item) => item.pending.message.deliveryId !== undefined);
    if (keyed.length === 0) return items;
    const found = await this.c.messages
      .find({ $or: keyed.map((item) => ({ mailboxId: item.pending.mailboxId, deliveryId: item.pending.message.deliveryId! })) })
      .toArray();
    const delivered = new Map(found.map((doc) => [deliveryKey(doc.mailboxId, doc.deliveryId), doc]));
    return items.filter((item) => {
      const key = deliveryKey(item.pending.mailboxId, item.pending.message.deliveryId);
      const earlier = key === null ? undefined : delivered.get(key);
      if (earlier === undefined) return true;
      item.pending.resolve({ message: toMessage(earlier), mailbox: toMailbox(item.grant?.mailbox ?? item.mailbox), duplicate: true });
      return false;
    });
  }

  /** insertMany; when it fails, which of the documents made it in anyway, and the error for the others. */
  private async insert(docs: MessageDoc[]): Promise<{ stored: Set<string>; error: unknown }> {
    try {
      await this.c.messages.insertMany(docs, { ordered: false });
      return { stored: new Set(docs.map((doc) => doc._id)), error: null };
    } catch (error) {
      const found = await this.c.messages.find({ _id: { $in: docs.map((doc) => doc._id) } }, { projection: { _id: 1 } }).toArray();
      return { stored: new Set(found.map((doc) => doc._id)), error };
    }
  }
}

/** The unique (mailboxId, deliveryId) pair as one string; null without a deliveryId. */
function deliveryKey(mailboxId: string, deliveryId: string | undefined): string | null {
  return deliveryId === undefined ? null : `${mailboxId}\n${deliveryId}`;
}

function messageDoc(item: Live): MessageDoc {
  const { message } = item.pending;
  const flags = normalizeFlags(message.flags ?? []);
  return {
    _id: newId(),
    mailboxId: item.pending.mailboxId,
    userId: item.mailbox.userId,
    uid: item.grant!.firstUid,
    modseq: item.grant!.firstModseq,
    flags,
    seen: hasSeen(flags),
    internalDate: message.internalDate ?? item.pending.calledAt,
    size: item.pending.size,
    headers: definedHeaders(message.headers),
    parts: item.parts,
    meta: storeMeta(message.meta),
    ...(message.deliveryId === undefined ? {} : { deliveryId: message.deliveryId }),
  };
}

/** Header fields as given, without undefined ones (which a document cannot hold). */
function definedHeaders(headers: MessageHeaders | undefined): MessageHeaders {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([, value]) => value !== undefined)) as MessageHeaders;
}
