// RFC 3501 §2.3.2: system flags are case-insensitive; keywords are atoms.
const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '\\Recent'];
const canonical = new Map(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f]));

/** RFC 3501 §2.3.2: whether the flag is a system flag (in any case), stored in its canonical spelling. */
export function isSystemFlag(flag: string): boolean {
  return canonical.has(flag.toLowerCase());
}

/** Canonical spelling for system flags, each flag once, order kept. */
export function normalizeFlags(flags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of flags) {
    const flag = canonical.get(raw.toLowerCase()) ?? raw;
    const key = flag.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(flag);
    }
  }
  return out;
}

/** Applies an add/remove/set operation to a flag list; returns the new list. */
export function applyFlagOperation(current: readonly string[], op: 'add' | 'remove' | 'set', flags: readonly string[]): string[] {
  const given = normalizeFlags(flags);
  if (op === 'set') return given;
  if (op === 'add') return normalizeFlags([...current, ...given]);
  const drop = new Set(given.map((f) => f.toLowerCase()));
  return current.filter((f) => !drop.has(f.toLowerCase()));
}

export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => set.has(f.toLowerCase()));
}
