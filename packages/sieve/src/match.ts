// RFC 5228 §2.7.1 match types (:is :contains :matches), RFC 5231 relational (:value :count) and the
// comparators of §2.7.3 (i;octet, i;ascii-casemap) and RFC 4790 §9.1 (i;ascii-numeric).
import type { Budget } from './budget.js';
import type { Relation } from './spec.js';

export type Comparator = 'i;octet' | 'i;ascii-casemap' | 'i;ascii-numeric';

export interface MatchSpec {
  type: 'is' | 'contains' | 'matches' | 'value' | 'count';
  relation: Relation | null;
  comparator: Comparator;
}

/** Reads the MATCH-TYPE and COMPARATOR tags of a checked node; defaults :is and i;ascii-casemap (RFC 5228 §2.7.1, §2.7.3). */
export function matchSpecOf(tags: Record<string, unknown>): MatchSpec {
  const comparator = (typeof tags.comparator === 'string' ? tags.comparator.toLowerCase() : 'i;ascii-casemap') as Comparator;
  for (const type of ['value', 'count'] as const) {
    if (typeof tags[type] === 'string') return { type, relation: (tags[type] as string).toLowerCase() as Relation, comparator };
  }
  const type = tags.contains ? 'contains' : tags.matches ? 'matches' : 'is';
  return { type, relation: null, comparator };
}

// i;ascii-casemap folds a-z only (RFC 4790 §9.2), so lengths and positions are kept for match variables.
const fold = (s: string): string => s.replace(/[a-z]+/g, (m) => m.toUpperCase());

/** RFC 4790 §9.1: the number its leading digits spell; no leading digit is positive infinity. */
function numericValue(s: string): number {
  const m = /^[0-9]+/.exec(s);
  return m ? Number(m[0]) : Number.POSITIVE_INFINITY;
}

/** Ordering of two strings under a comparator (RFC 5231 §4). */
function order(a: string, b: string, comparator: Comparator): number {
  if (comparator === 'i;ascii-numeric') {
    const x = numericValue(a);
    const y = numericValue(b);
    return x === y ? 0 : x < y ? -1 : 1;
  }
  const x = comparator === 'i;ascii-casemap' ? fold(a) : a;
  const y = comparator === 'i;ascii-casemap' ? fold(b) : b;
  return x === y ? 0 : x < y ? -1 : 1;
}

function relates(cmp: number, relation: Relation): boolean {
  switch (relation) {
    case 'gt':
      return cmp > 0;
    case 'ge':
      return cmp >= 0;
    case 'lt':
      return cmp < 0;
    case 'le':
      return cmp <= 0;
    case 'eq':
      return cmp === 0;
    case 'ne':
      return cmp !== 0;
  }
}

type PatternToken = { kind: 'char'; c: string } | { kind: '?' } | { kind: '*' };

/** RFC 5228 §2.7.1: "*" any sequence, "?" one character, "\" quotes the next character. */
function parsePattern(pattern: string): PatternToken[] {
  const tokens: PatternToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) tokens.push({ kind: 'char', c: pattern[++i]! });
    else if (c === '*') {
      tokens.push({ kind: '*' });
    } else if (c === '?') tokens.push({ kind: '?' });
    else tokens.push({ kind: 'char', c });
  }
  return tokens;
}

/**
 * :matches as dynamic programming over (pattern position, text position): time and memory
 * O(pattern × text), never exponential, charged to the budget before the work is done.
 * Returns null on no match, else the RFC 5229 §3.2 match groups: [whole, one per wildcard],
 * each "*" taking as little as it can from the left (the RFC's "[*] *" example).
 */
export function globMatch(text: string, pattern: string, caseFold: boolean, budget: Budget): string[] | null {
  const tokens = parsePattern(caseFold ? fold(pattern) : pattern);
  const subject = caseFold ? fold(text) : text;
  if (!tokens.some((t) => t.kind === '?')) return starMatch(text, subject, tokens, budget);
  const n = subject.length;
  const m = tokens.length;
  budget.spend((m + 1) * (n + 1));
  // can[i][j]: tokens i.. match subject j..
  const can: Uint8Array[] = [];
  for (let i = 0; i <= m; i++) can.push(new Uint8Array(n + 1));
  can[m]![n] = 1;
  for (let i = m - 1; i >= 0; i--) {
    const token = tokens[i]!;
    const row = can[i]!;
    const below = can[i + 1]!;
    if (token.kind === '*') {
      for (let j = n; j >= 0; j--) row[j] = below[j]! || (j < n ? row[j + 1]! : 0);
    } else if (token.kind === '?') {
      for (let j = 0; j < n; j++) row[j] = below[j + 1]!;
    } else {
      for (let j = 0; j < n; j++) row[j] = subject[j] === token.c ? below[j + 1]! : 0;
    }
  }
  if (!can[0]![0]) return null;
  const groups = [text];
  let j = 0;
  for (let i = 0; i < m; i++) {
    const token = tokens[i]!;
    if (token.kind === 'char') j++;
    else if (token.kind === '?') {
      groups.push(text.slice(j, j + 1));
      j++;
    } else {
      let k = j;
      while (!can[i + 1]![k]) k++;
      groups.push(text.slice(j, k));
      j = k;
    }
  }
  return groups;
}

/**
 * A pattern of literals and "*" only: the literal runs between stars are placed leftmost with
 * indexOf, the last one at the end. Leftmost placement is the one the DP walk above would choose
 * (each "*" as short as it can be), in linear time for the usual patterns.
 */
function starMatch(text: string, subject: string, tokens: PatternToken[], budget: Budget): string[] | null {
  const segments: string[] = [''];
  for (const token of tokens) {
    if (token.kind === '*') segments.push('');
    else segments[segments.length - 1] += (token as { c: string }).c;
  }
  budget.spend(tokens.length);
  budget.spendBytes(subject.length * segments.length);
  const first = segments[0]!;
  if (segments.length === 1) return subject === first ? [text] : null;
  const last = segments[segments.length - 1]!;
  if (!subject.startsWith(first) || subject.length - last.length < first.length || !subject.endsWith(last)) return null;
  const end = subject.length - last.length;
  const groups = [text];
  let at = first.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const found = subject.indexOf(segments[i]!, at);
    if (found < 0 || found + segments[i]!.length > end) return null;
    groups.push(text.slice(at, found));
    at = found + segments[i]!.length;
  }
  groups.push(text.slice(at, end));
  return groups;
}

/**
 * Tests values against keys (RFC 5228 §2.7.1: true if any value matches any key). For :matches,
 * `onMatch` receives the match groups of the first value/key pair that matched.
 */
export function matchAny(values: string[], keys: string[], spec: MatchSpec, budget: Budget, onMatch?: (groups: string[]) => void): boolean {
  if (spec.type === 'count') {
    // RFC 5231 §4.1: the number of values, compared with the comparator against each key.
    const count = String(values.length);
    return keys.some((key) => relates(order(count, key, spec.comparator), spec.relation!));
  }
  for (const value of values) {
    for (const key of keys) {
      budget.spendBytes(value.length + key.length);
      switch (spec.type) {
        case 'is':
          if (order(value, key, spec.comparator) === 0) return true;
          break;
        case 'value':
          if (relates(order(value, key, spec.comparator), spec.relation!)) return true;
          break;
        case 'contains': {
          const folded = spec.comparator === 'i;ascii-casemap';
          if ((folded ? fold(value) : value).includes(folded ? fold(key) : key)) return true;
          break;
        }
        case 'matches': {
          const groups = globMatch(value, key, spec.comparator === 'i;ascii-casemap', budget);
          if (groups) {
            onMatch?.(groups);
            return true;
          }
          break;
        }
      }
    }
  }
  return false;
}

/** RFC 5229 §4.1 :quotewildcard: a backslash before "*", "?" and "\". */
export function quoteWildcards(s: string): string {
  return s.replace(/[*?\\]/g, (c) => `\\${c}`);
}
