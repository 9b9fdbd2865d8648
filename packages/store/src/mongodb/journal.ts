import type { Collection } from 'mongodb';
import { JournalPrunedError } from '../errors.js';
import { newId } from '../ids.js';
import { journalPrunedAfter, NEW_MAILBOX_MODSEQ } from '../modseq.js';
import type { JournalEntry } from '../types.js';
import type { JournalDoc, MessageDoc } from './collections.js';
import { toJournalEntry } from './records.js';

/**
 * A hole in the journal older than this is taken as abandoned (its writer died
 * between allocating the MODSEQ and writing the entry) and skipped; a younger
 * one is a write still in flight, and reading stops before it.
 */
const ABANDONED_GAP_MS = 10_000;

export type NewJournalEntry = Omit<JournalDoc, '_id' | 'at'>;

/**
 * The per-mailbox change journal. Without multi-document transactions, writers
 * allocate MODSEQs first and write entries after, so entry N+1 can become
 * visible before entry N. Every allocated MODSEQ gets exactly one entry, hence
 * reads return only the gap-free run after `since`: a reader that advanced past
 * a hole would miss that change for good (RFC 7162 §3.1: mod-sequences are the
 * resync cursor).
 */
export class Journal {
  constructor(private readonly journal: Collection<JournalDoc>) {}

  async write(entries: NewJournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const at = new Date();
    await this.journal.insertMany(entries.map((entry) => ({ _id: newId(), ...entry, at })));
  }

  /**
   * Fills MODSEQs whose change did not happen (message gone, write failed) with
   * `expunge` entries, so readers are not held at the hole. Best effort: a hole
   * left behind is skipped after ABANDONED_GAP_MS.
   */
  async fill(holes: Pick<MessageDoc, 'mailboxId' | 'modseq' | 'uid' | '_id'>[]): Promise<void> {
    try {
      await this.write(holes.map((hole) => ({ mailboxId: hole.mailboxId, modseq: hole.modseq, kind: 'expunge', uid: hole.uid, messageId: hole._id })));
    } catch {
      // Already on a failure path; the reader's grace period covers the hole.
    }
  }

  async read(mailboxId: string, since: number, limit?: number): Promise<JournalEntry[]> {
    // Pruning takes a prefix: the oldest entry kept tells how far it went.
    const oldest = await this.journal.findOne({ mailboxId }, { sort: { modseq: 1 } });
    if (oldest !== null && journalPrunedAfter(since, oldest.modseq)) throw new JournalPrunedError(mailboxId, since, oldest.modseq);
    if (limit !== undefined && limit <= 0) return [];
    const cursor = this.journal.find({ mailboxId, modseq: { $gt: since } }).sort({ modseq: 1 });
    if (limit !== undefined) cursor.limit(limit);
    const docs = await cursor.toArray();
    const entries: JournalEntry[] = [];
    const now = Date.now();
    // A mailbox's first change is NEW_MAILBOX_MODSEQ + 1 (an older mailbox's entry 1, below that, is no hole).
    let expected = Math.max(since, NEW_MAILBOX_MODSEQ) + 1;
    for (const doc of docs) {
      if (doc.modseq > expected && now - doc.at.getTime() < ABANDONED_GAP_MS) break;
      entries.push(toJournalEntry(doc));
      expected = doc.modseq + 1;
    }
    return entries;
  }

  /**
   * Journal retention for one mailbox: the prefix up to the newest entry written
   * before `before`, never the entry of `highestModseq` (openers check that the
   * journal reached it). Returns how many entries went.
   */
  async prune(mailboxId: string, highestModseq: number, before: Date): Promise<number> {
    const [newestOld] = await this.journal.find({ mailboxId, at: { $lt: before } }).sort({ modseq: -1 }).limit(1).toArray();
    if (!newestOld) return 0;
    const upto = Math.min(newestOld.modseq, highestModseq - 1);
    if (upto < 1) return 0;
    return (await this.journal.deleteMany({ mailboxId, modseq: { $lte: upto } })).deletedCount;
  }

  async deleteMailbox(mailboxId: string): Promise<void> {
    await this.journal.deleteMany({ mailboxId });
  }
}

/** The journal entry of a message that has just been stored. */
export function appendEntry(doc: MessageDoc): NewJournalEntry {
  return { mailboxId: doc.mailboxId, modseq: doc.modseq, kind: 'append', uid: doc.uid, messageId: doc._id, flags: doc.flags };
}
