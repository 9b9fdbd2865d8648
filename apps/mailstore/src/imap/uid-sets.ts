// UID sets as the store selects them.
import type { UidSelector } from '@postern/store';

/** Ascending UIDs as a store selector: a range when they are consecutive, else the list. */
export function pageSelector(uids: readonly number[]): UidSelector {
  const first = uids[0] ?? 0;
  const last = uids[uids.length - 1] ?? 0;
  return last - first === uids.length - 1 ? { min: first, max: last } : { uids: [...uids] };
}
