// Reading Postfix's configuration as postconf does: main.cf `name = value` lines (indented lines
// continue the previous one, `#` starts a comment, $name expands) and lookup tables as source text.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export type MainCf = Map<string, string>;

/** postconf(5): "name = value", continued by lines that start with whitespace. */
export function parseMainCf(text: string): MainCf {
  const settings: MainCf = new Map();
  let current: string | null = null;
  for (const raw of text.split('\n')) {
    if (/^\s*(#|$)/.test(raw)) continue;
    if (/^\s/.test(raw) && current !== null) {
      settings.set(current, `${settings.get(current) ?? ''} ${raw.trim()}`.trim());
      continue;
    }
    const match = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(raw);
    if (!match?.[1]) continue;
    current = match[1];
    settings.set(current, (match[2] ?? '').trim());
  }
  return settings;
}

/** $name and ${name} from main.cf itself (Postfix's built-in defaults are not known here: left as written). */
export function expand(settings: MainCf, value: string, depth = 0): string {
  if (depth > 10) return value;
  return value.replace(/\$\{?([A-Za-z0-9_]+)\}?/g, (whole, name: string) => {
    const found = settings.get(name);
    return found === undefined ? whole : expand(settings, found, depth + 1);
  });
}

/** A list value: Postfix separates by commas and/or whitespace. */
export function listOf(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

export interface TableRef {
  type: string;
  file: string;
}

/** "hash:/etc/postfix/virtual" → the type and the source file, found below `dir` when main.cf names /etc/postfix. */
export function tableRef(spec: string, dir: string): TableRef | null {
  const match = /^([a-z]+):(.+)$/.exec(spec.trim());
  if (!match?.[1] || !match[2]) return null;
  let file = match[2];
  if (!existsSync(file) && file.startsWith('/etc/postfix/')) file = join(dir, relative('/etc/postfix', file));
  return { type: match[1], file };
}

/** The indexed types postmap builds from a text source file of "key value" lines. */
export const TEXT_TABLE_TYPES = new Set(['hash', 'btree', 'lmdb', 'cdb', 'dbm', 'texthash']);

/** postmap(1) source: "key value" lines, `#` comments, indented lines continuing the value. */
export function readTextTable(file: string): { key: string; value: string }[] {
  const entries: { key: string; value: string }[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (/^\s*(#|$)/.test(raw)) continue;
    const last = entries[entries.length - 1];
    if (/^\s/.test(raw) && last) {
      last.value = `${last.value} ${raw.trim()}`;
      continue;
    }
    const match = /^(\S+)\s+(.*)$/.exec(raw.trim());
    if (match?.[1]) entries.push({ key: match[1], value: (match[2] ?? '').trim() });
  }
  return entries;
}

/** The lines of a regexp:/pcre: table, each to be listed as not imported. */
export function readPatternLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(#|$)/.test(line))
    .map((line) => line.trim());
}
