import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** One `key value` line of an access table, with its line number for error messages. */
export interface TableEntry {
  key: string;
  value: string;
  line: number;
}

/** A parsed lookup table: keys folded to lower case, as postmap does. */
export interface LookupTable {
  /** `file:/etc/postern/client_access`, as written in the config. */
  name: string;
  /** The absolute path that was read. */
  path: string;
  get(key: string): TableEntry | undefined;
  entries(): IterableIterator<TableEntry>;
}

/**
 * Postfix's source format (postmap(1), access(5)): `key whitespace value`;
 * blank lines and lines whose first non-blank character is "#" are ignored;
 * a line that starts with whitespace continues the previous one. The first
 * of duplicate keys wins, as in postmap.
 */
export function parseTableText(text: string, name: string, path: string): LookupTable {
  const map = new Map<string, TableEntry>();
  let pending: { text: string; line: number } | null = null;

  const finish = (): void => {
    if (pending === null) return;
    const match = /^(\S+)\s*(.*)$/.exec(pending.text);
    const key = (match?.[1] ?? '').toLowerCase();
    const value = (match?.[2] ?? '').trim();
    if (value === '') throw new Error(`${name} line ${pending.line}: "${key}" has no action (expected e.g. "${key} REJECT")`);
    if (!map.has(key)) map.set(key, { key, value, line: pending.line });
    pending = null;
  };

  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (/^\s*(#|$)/.test(raw)) return;
    if (/^\s/.test(raw)) {
      if (pending === null) throw new Error(`${name} line ${line}: a continuation line (starting with whitespace) without a line before it`);
      pending.text += ` ${raw.trim()}`;
      return;
    }
    finish();
    pending = { text: raw.trim(), line };
  });
  finish();

  return {
    name,
    path,
    get: (key) => map.get(key.toLowerCase()),
    entries: () => map.values(),
  };
}

// file: is Postern's name; texthash: is Postfix's name for the same plain-text table.
const TABLE_TYPES = ['file', 'texthash'];

/**
 * Reads `file:/path` (or `texthash:/path`) at start. A relative path is
 * resolved against the current directory, as the config file gives no
 * better anchor here. Throws an Error naming the table and the problem.
 */
export function readLookupTable(spec: string): LookupTable {
  const colon = spec.indexOf(':');
  const type = spec.slice(0, colon).toLowerCase();
  const file = spec.slice(colon + 1);
  if (colon <= 0 || !TABLE_TYPES.includes(type)) {
    throw new Error(`"${spec}" is not a table Postern can read (expected file:/path/to/table, a text file in Postfix access(5) format)`);
  }
  if (file === '') throw new Error(`"${spec}" names no file (expected file:/path/to/table)`);
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseTableText(text, spec, path);
}
