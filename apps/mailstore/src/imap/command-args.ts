// The arguments of a parsed command as text: imap-core gives atoms, strings and literals as binary strings or Buffers.
import type { CommandNode } from './imap-core.js';

/** An atom's, string's or literal's octets as a binary string; null for a list, NIL or a missing argument. */
export function nodeText(node: CommandNode | undefined): string | null {
  if (!node || Array.isArray(node)) return null;
  if (node.value === undefined || node.value === null) return '';
  return Buffer.isBuffer(node.value) ? node.value.toString('binary') : String(node.value);
}

/** The same in upper case, for keywords (options, keys, flags) that IMAP compares case-insensitively. */
export function nodeWord(node: CommandNode | undefined): string | null {
  return nodeText(node)?.toUpperCase() ?? null;
}
