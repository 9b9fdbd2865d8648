// UID sets as the store selects them.
import type { UidSelector } from '@postern/store';

/** Ascending UIDs as a store selector: a range when they are consecutive, else the list. */
export function pageSelector(uids: readonly number[]): UidSelector {
  const first = uids[0] ?? 0;
  const last = uids[uids.length - 1] ?? 0;
  return last - first === uids.length - 1 ? { min: first, max: last } : { uids: [...uids] };
}

/** RFC 3501 §9 sequence-set of UIDs in the given order, runs of consecutive UIDs as `a:b` (for COPYUID, RFC 4315 §3). */
export function uidSet(uids: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < uids.length; ) {
    let end = i;
    while (end + 1 < uids.length && uids[end + 1] === uids[end]! + 1) end++;
    runs.push(end === i ? String(uids[i]) : `${uids[i]}:${uids[end]}`);
    i = end + 1;
  }
  return runs.join(',');
}
