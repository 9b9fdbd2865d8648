// SEARCH keys the store answers from its flag indexes (RFC 3501 §6.4.4: SEEN/UNSEEN, DELETED/UNDELETED,
// FLAGGED, ANSWERED, DRAFT and their UN- forms, KEYWORD/UNKEYWORD, NOT of one of them, ALL, a sequence or UID set).
import type { FlagCondition, FlagSearch, MailboxId, Store, Uid } from '@postern/store';
import type { SearchNode } from './search-match.js';

/** A query the store answers: its flag conditions, and the UIDs its sequence and UID sets allow (null: any). */
export interface IndexedFlagQuery {
  flags: FlagCondition[];
  uids: Set<Uid> | null;
}

/** A one-member list is its member: `NOT UNSEEN` and `NOT (SEEN)` arrive as NOT of a list. */
function single(node: SearchNode): SearchNode {
  let current = node;
  while (Array.isArray(current) && current.length === 1) current = current[0]!;
  return current;
}

/** RFC 3501 §2.3.2: \Recent belongs to the session, not the store, so a key on it stays with the matcher. */
function storedFlag(node: SearchNode): string | null {
  if (Array.isArray(node) || node.key !== 'flag') return null;
  const flag = String(node.value);
  return flag.toLowerCase() === '\\recent' ? null : flag;
}

/**
 * The query as flag conditions and UID sets, when it is an AND of nothing else (a key on \Recent,
 * MODSEQ, headers, sizes, dates, OR, or NOT of more than one flag returns null: the matcher runs).
 */
export function indexedFlagQuery(query: SearchNode): IndexedFlagQuery | null {
  const result: IndexedFlagQuery = { flags: [], uids: null };
  const pending: SearchNode[] = [query];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (Array.isArray(node)) {
      pending.push(...node);
      continue;
    }
    switch (node.key) {
      case 'all':
      case 'charset':
        break;
      case 'flag': {
        const flag = storedFlag(node);
        if (flag === null) return null;
        result.flags.push({ flag, set: Boolean(node.exists) });
        break;
      }
      case 'not': {
        const negated = single(node.value as SearchNode);
        const flag = storedFlag(negated);
        if (flag === null) return null;
        result.flags.push({ flag, set: !(negated as { exists?: boolean }).exists });
        break;
      }
      case 'uid': {
        // imap-core resolves sequence sets and UID sets to the session's UIDs (RFC 3501 §6.4.4 UID, sequence-set).
        const uids = new Set((Array.isArray(node.value) ? node.value : [node.value]).map(Number));
        result.uids = result.uids === null ? uids : new Set([...result.uids].filter((uid) => uids.has(uid)));
        break;
      }
      default:
        return null;
    }
  }
  return result;
}

/** The UIDs, ascending, the store finds for the query, narrowed to its UID sets and to the messages the session knows. */
export async function searchIndexedFlags(store: Store, mailboxId: MailboxId, query: IndexedFlagQuery, known: ReadonlySet<Uid> | null): Promise<Uid[]> {
  const search: FlagSearch = { flags: query.flags };
  if (query.uids !== null) {
    if (query.uids.size === 0) return [];
    let min = Infinity;
    let max = 0;
    for (const uid of query.uids) {
      min = Math.min(min, uid);
      max = Math.max(max, uid);
    }
    search.uids = { min: min as Uid, max: max as Uid };
  }
  const found = await store.searchFlags(mailboxId, search);
  return found.filter((uid) => (query.uids === null || query.uids.has(uid)) && (known === null || known.has(uid)));
}
