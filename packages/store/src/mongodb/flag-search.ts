// SEARCH on flags (RFC 3501 §6.4.4) and STATUS SIZE/DELETED (RFC 8438 §3, RFC 9051 §6.3.11) from the messages' indexes.
import type { Collection, Db, Filter } from 'mongodb';
import { isSystemFlag, normalizeFlags } from '../flags.js';
import type { FlagCondition, FlagSearch, MailboxTotals } from '../types.js';
import type { MessageDoc } from './collections.js';

/** The document's `seen` from its flags (stored canonical, so \Seen has one spelling). */
export function hasSeen(flags: readonly string[]): boolean {
  return flags.includes('\\Seen');
}

/**
 * One condition on `flags`, served by { mailboxId, flags }: a system flag is stored in its canonical
 * spelling and matched exactly; a keyword may be stored in any case (compared without it, as the matcher does).
 */
function flagMatch(condition: FlagCondition): Filter<MessageDoc>['flags'] {
  const exact = normalizeFlags([condition.flag])[0]!;
  if (isSystemFlag(exact)) return condition.set ? exact : { $ne: exact };
  const pattern = new RegExp(`^${exact.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'i');
  return condition.set ? pattern : { $not: pattern };
}

/** The filter of a FlagSearch: \Seen by the `seen` field ({ mailboxId, seen, uid }), every other flag on the list. */
export function flagSearchFilter(mailboxId: string, search: FlagSearch): Filter<MessageDoc> {
  const filter: Filter<MessageDoc> = { mailboxId };
  const others: Filter<MessageDoc>[] = [];
  for (const condition of search.flags) {
    if (condition.flag.toLowerCase() === '\\seen') {
      // Two contradicting conditions match nothing: `seen` cannot be both.
      if (filter.seen !== undefined && filter.seen !== condition.set) return { mailboxId, _id: { $in: [] } };
      filter.seen = condition.set;
    } else others.push({ flags: flagMatch(condition) });
  }
  if (search.uids) filter.uid = search.uids.max === null ? { $gte: search.uids.min } : { $gte: search.uids.min, $lte: search.uids.max };
  if (others.length === 1) Object.assign(filter, others[0]);
  else if (others.length > 1) filter.$and = others;
  return filter;
}

export async function searchFlags(messages: Collection<MessageDoc>, mailboxId: string, search: FlagSearch): Promise<number[]> {
  const docs = await messages
    .find(flagSearchFilter(mailboxId, search), { projection: { _id: 0, uid: 1 } })
    .sort({ uid: 1 })
    .toArray();
  return docs.map((doc) => doc.uid);
}

/**
 * SIZE summed by the server ($group), DELETED counted on { mailboxId, flags }. (The pinned test
 * server's $group gets `$cond` over `$in` wrong, so the count is a query of its own.)
 */
export async function mailboxTotals(messages: Collection<MessageDoc>, mailboxId: string): Promise<MailboxTotals> {
  const [sums, deleted] = await Promise.all([
    messages.aggregate<{ size: number }>([{ $match: { mailboxId } }, { $group: { _id: null, size: { $sum: '$size' } } }]).toArray(),
    messages.countDocuments({ mailboxId, flags: '\\Deleted' }),
  ]);
  return { size: sums[0]?.size ?? 0, deleted };
}

/** The marker, in the `migrations` collection, that every message document has its `seen` field. */
const SEEN_BACKFILLED = 'messages.seen';

/**
 * Gives `seen` to the message documents written before it existed (idempotent: only documents
 * without the field change), then leaves a marker so that later opens skip the collection scan.
 */
export async function backfillSeen(db: Db): Promise<void> {
  const migrations = db.collection<{ _id: string; at: Date }>('migrations');
  if (await migrations.findOne({ _id: SEEN_BACKFILLED })) return;
  const messages = db.collection<MessageDoc>('messages');
  await messages.updateMany({ seen: { $exists: false }, flags: '\\Seen' }, { $set: { seen: true } });
  await messages.updateMany({ seen: { $exists: false } }, { $set: { seen: false } });
  await migrations.updateOne({ _id: SEEN_BACKFILLED }, { $set: { at: new Date() } }, { upsert: true });
}
