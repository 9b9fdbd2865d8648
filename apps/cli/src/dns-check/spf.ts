import type { Resolver } from '@postern/dns';

/** One SPF term (RFC 7208 §4.6.1): a mechanism with its qualifier, or a modifier name=value. */
export interface SpfTerm {
  kind: 'mechanism' | 'modifier';
  /** Lower-cased mechanism or modifier name: all, include, a, mx, ptr, ip4, ip6, exists, redirect, exp, … */
  name: string;
  /** RFC 7208 §4.6.2: "+" when no qualifier is written. */
  qualifier: '+' | '-' | '~' | '?';
  /** After ":" for a mechanism, after "=" for a modifier; "" when none. */
  value: string;
}

/** The SPF records among a name's TXT records: "v=spf1" alone or followed by a space (RFC 7208 §4.5). */
export function spfRecords(texts: string[]): string[] {
  return texts.filter((text) => /^v=spf1(?: |$)/i.test(text));
}

export function parseSpf(record: string): SpfTerm[] {
  return record
    .split(' ')
    .slice(1)
    .filter((term) => term !== '')
    .map((term): SpfTerm => {
      const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(term);
      if (modifier) return { kind: 'modifier', name: modifier[1]!.toLowerCase(), qualifier: '+', value: modifier[2]! };
      const qualifier = '+-~?'.includes(term.charAt(0)) ? (term.charAt(0) as SpfTerm['qualifier']) : '+';
      const body = qualifier === '+' && term.charAt(0) !== '+' ? term : term.slice(1);
      const split = body.search(/[:/]/);
      const name = (split < 0 ? body : body.slice(0, split)).toLowerCase();
      const value = split >= 0 && body.charAt(split) === ':' ? body.slice(split + 1) : '';
      return { kind: 'mechanism', name, qualifier, value };
    });
}

// RFC 7208 §4.6.4: these terms cause DNS queries, and at most 10 of them may be evaluated.
const QUERYING = new Set(['include', 'a', 'mx', 'ptr', 'exists', 'redirect']);
export const SPF_LOOKUP_LIMIT = 10;

/**
 * The DNS-querying terms the domain's SPF evaluation can reach, counting
 * through include: and redirect= (RFC 7208 §4.6.4). Stops counting once past
 * the limit; a target with a macro (%{…}) counts itself only.
 */
export async function countSpfLookups(resolver: Resolver, terms: SpfTerm[], seen = new Set<string>()): Promise<number> {
  let count = 0;
  for (const term of terms) {
    if (!QUERYING.has(term.name) || (term.kind === 'modifier' && term.name !== 'redirect')) continue;
    count++;
    if (count > SPF_LOOKUP_LIMIT) return count;
    if ((term.name === 'include' || term.name === 'redirect') && term.value !== '' && !term.value.includes('%')) {
      const target = term.value.toLowerCase();
      if (seen.has(target)) continue;
      seen.add(target);
      const records = spfRecords(await resolver.txt(target).catch(() => []));
      if (records.length === 1) count += await countSpfLookups(resolver, parseSpf(records[0]!), seen);
      if (count > SPF_LOOKUP_LIMIT) return count;
    }
  }
  return count;
}
