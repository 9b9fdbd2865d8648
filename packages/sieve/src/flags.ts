// RFC 5232 imap4flags: flag lists as the commands and :flags see them.

/** RFC 5232 §3: flags split on spaces, duplicates (case-insensitive) dropped, first spelling kept. */
export function normalizeFlags(lists: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const flag of lists.flatMap((l) => l.split(' '))) {
    if (flag === '' || seen.has(flag.toLowerCase())) continue;
    seen.add(flag.toLowerCase());
    out.push(flag);
  }
  return out;
}
