import { isDeepStrictEqual } from 'node:util';
import { isTable } from './edit.js';
import type { TomlTable as Table } from './load.js';
import type { PosternConfig } from './schema.js';

function keysOf(...tables: unknown[]): Set<string> {
  return new Set(tables.flatMap((table) => (isTable(table) ? Object.keys(table) : [])));
}

/**
 * The dotted keys whose values differ between two loaded configs: a root key
 * (`hostname`) or a section's key (`smtpd.recipient_restrictions`, `listen.smtp`).
 * A table inside a section (`tls.sni`, `smtp.transport_maps`) is one key. Sorted.
 */
export function changedKeys(before: PosternConfig, after: PosternConfig): string[] {
  const changed: string[] = [];
  for (const root of keysOf(before, after)) {
    const left = (before as unknown as Table)[root];
    const right = (after as unknown as Table)[root];
    if (!isTable(left) && !isTable(right)) {
      if (!isDeepStrictEqual(left, right)) changed.push(root);
      continue;
    }
    for (const key of keysOf(left, right)) {
      const a = isTable(left) ? left[key] : undefined;
      const b = isTable(right) ? right[key] : undefined;
      if (!isDeepStrictEqual(a, b)) changed.push(`${root}.${key}`);
    }
  }
  return changed.sort();
}
