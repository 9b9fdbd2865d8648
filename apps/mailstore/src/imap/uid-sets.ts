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

/** An inclusive run of UIDs. */
export interface UidRange {
  min: number;
  max: number;
}

/** RFC 3501 §9: `seq-number = nz-number / "*"`, nz-number below 2^32. */
const SEQ_NUMBER = String.raw`(?:[1-9]\d{0,9}|\*)`;
const SEQUENCE_SET = new RegExp(String.raw`^${SEQ_NUMBER}(?::${SEQ_NUMBER})?(?:,${SEQ_NUMBER}(?::${SEQ_NUMBER})?)*$`);
const MAX_NZ_NUMBER = 4294967295;

/**
 * RFC 3501 §9 sequence-set as ascending, merged ranges, with `*` standing for
 * `largest`; `a:b` is the same as `b:a`. null when the text is not a sequence-set.
 */
export function parseUidSet(text: string, largest: number): UidRange[] | null {
  if (!SEQUENCE_SET.test(text)) return null;
  const ranges: UidRange[] = [];
  for (const part of text.split(',')) {
    const [from, to = from] = part.split(':').map((number) => (number === '*' ? largest : Number(number)));
    if (from! > MAX_NZ_NUMBER || to! > MAX_NZ_NUMBER) return null;
    ranges.push({ min: Math.min(from!, to!), max: Math.max(from!, to!) });
  }
  ranges.sort((a, b) => a.min - b.min);
  const merged: UidRange[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range.min <= last.max + 1) last.max = Math.max(last.max, range.max);
    else merged.push({ ...range });
  }
  return merged;
}

/** The ranges cut to `above` < UID ≤ `upTo`. */
export function clampRanges(ranges: readonly UidRange[], above: number, upTo: number): UidRange[] {
  return ranges.map((range) => ({ min: Math.max(range.min, above + 1), max: Math.min(range.max, upTo) })).filter((range) => range.min <= range.max);
}

/** Whether `uid` is in the ranges (ascending and merged, as parseUidSet gives them). */
export function inRanges(ranges: readonly UidRange[], uid: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const range = ranges[middle]!;
    if (uid < range.min) high = middle - 1;
    else if (uid > range.max) low = middle + 1;
    else return true;
  }
  return false;
}

/** The numbers of the ranges in order. */
export function* rangeNumbers(ranges: readonly UidRange[]): Generator<number> {
  for (const range of ranges) for (let n = range.min; n <= range.max; n++) yield n;
}

/** How many numbers the ranges hold. */
export function rangesSize(ranges: readonly UidRange[]): number {
  return ranges.reduce((sum, range) => sum + range.max - range.min + 1, 0);
}

/** The UIDs of `ranges` that are not in `present` (ascending), as ranges: never one entry per UID. */
export function rangesWithout(ranges: readonly UidRange[], present: readonly number[]): UidRange[] {
  const out: UidRange[] = [];
  let p = 0;
  for (const range of ranges) {
    let next = range.min;
    while (p < present.length && present[p]! < range.min) p++;
    while (p < present.length && present[p]! <= range.max) {
      if (present[p]! > next) out.push({ min: next, max: present[p]! - 1 });
      next = present[p]! + 1;
      p++;
    }
    if (next <= range.max) out.push({ min: next, max: range.max });
  }
  return out;
}

/** Ascending UIDs as ranges of consecutive UIDs. */
export function rangesOf(uids: readonly number[]): UidRange[] {
  const ranges: UidRange[] = [];
  for (const uid of uids) {
    const last = ranges[ranges.length - 1];
    if (last && last.max + 1 === uid) last.max = uid;
    else if (!last || uid > last.max) ranges.push({ min: uid, max: uid });
  }
  return ranges;
}

/** Ranges as an RFC 3501 §9 sequence-set (`a:b` runs, `a` alone). */
export function rangesText(ranges: readonly UidRange[]): string {
  return ranges.map((range) => (range.min === range.max ? String(range.min) : `${range.min}:${range.max}`)).join(',');
}
