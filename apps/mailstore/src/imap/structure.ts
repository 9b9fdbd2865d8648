// BODYSTRUCTURE and BODY (RFC 3501 §7.4.2) from imap-core's MIME parser, ENVELOPE our own; cached in message meta.
import type { MessageRecord, Store } from '@postern/store';
import { headerLength } from '../message/index.js';
import { envelope } from './envelope.js';
import { createIndexer, type MimeTree } from './imap-core.js';

/** The parsed-once facts FETCH serves without reading the message again. */
export interface MessageStructure {
  bodystructure: unknown[];
  body: unknown[];
  envelope: unknown[];
}

/** Bump when the cached form changes, so old caches are recomputed. */
// 2: our own ENVELOPE (groups, routes, NIL Subject) also inside message/rfc822 parts; BODY without extension data.
const CACHE_VERSION = 2;
const META_KEY = 'imap';

/** A header as imap-core's tree keeps it (one string per field, folds kept), as bytes. */
function headerOf(node: MimeTree): Buffer {
  return Buffer.from(`${node.header.join('\r\n')}\r\n\r\n`, 'binary');
}

/**
 * Puts our ENVELOPE into every MESSAGE/RFC822 part of a BODYSTRUCTURE or BODY
 * (RFC 3501 §7.4.2: the envelope is its 8th field), walking imap-core's tree
 * beside the structure it built from it; a loop with its own stack.
 */
function replaceEnvelopes(root: MimeTree, structure: unknown[]): void {
  const pending: [MimeTree, unknown[]][] = [[root, structure]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, part] = next;
    if (node.message && Array.isArray(part[8])) {
      part[7] = envelope(headerOf(node.message));
      pending.push([node.message, part[8]]);
    } else if (node.childNodes) {
      node.childNodes.forEach((child, index) => {
        if (Array.isArray(part[index])) pending.push([child, part[index] as unknown[]]);
      });
    }
  }
}

export function computeStructure(raw: Buffer): MessageStructure {
  const indexer = createIndexer();
  const tree = indexer.parseMimeTree(raw);
  const bodystructure = indexer.getBodyStructure(tree);
  const body = indexer.getBody(tree);
  replaceEnvelopes(tree, bodystructure);
  replaceEnvelopes(tree, body);
  return { bodystructure, body, envelope: envelope(raw.subarray(0, headerLength(raw))) };
}

/* JSON form: Buffers (non-ASCII text, kept as bytes) become {"b64": base64}. ----- */

function toJson(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { b64: value.toString('base64') };
  if (Array.isArray(value)) return value.map(toJson);
  return value;
}

function fromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value && typeof value === 'object' && 'b64' in value && typeof (value as { b64: unknown }).b64 === 'string') {
    return Buffer.from((value as { b64: string }).b64, 'base64');
  }
  return value;
}

/** The meta to store with a new message so that FETCH never parses it again. */
export function structureMeta(structure: MessageStructure, meta: Record<string, unknown> | null = null): Record<string, unknown> {
  return {
    ...(meta ?? {}),
    [META_KEY]: {
      v: CACHE_VERSION,
      bodystructure: toJson(structure.bodystructure),
      body: toJson(structure.body),
      envelope: toJson(structure.envelope),
    },
  };
}

export function cachedStructure(message: Pick<MessageRecord, 'meta'>): MessageStructure | null {
  const cached = message.meta?.[META_KEY] as { v?: number; bodystructure?: unknown; body?: unknown; envelope?: unknown } | undefined;
  if (!cached || cached.v !== CACHE_VERSION || !Array.isArray(cached.bodystructure) || !Array.isArray(cached.body) || !Array.isArray(cached.envelope)) {
    return null;
  }
  return {
    bodystructure: fromJson(cached.bodystructure) as unknown[],
    body: fromJson(cached.body) as unknown[],
    envelope: fromJson(cached.envelope) as unknown[],
  };
}

/** The structure from the cache, or parsed from the message's bytes (the caller stores the new meta). */
export async function messageStructure(
  store: Store,
  message: MessageRecord,
  raw?: Buffer,
): Promise<{ structure: MessageStructure; newMeta: Record<string, unknown> | null }> {
  const cached = cachedStructure(message);
  if (cached) return { structure: cached, newMeta: null };
  const structure = computeStructure(raw ?? (await store.readMessage(message)));
  return { structure, newMeta: structureMeta(structure, message.meta) };
}

/**
 * Stores parsed structures one after another, behind the FETCH that needed
 * them: the client does not wait, and a lost write only costs a re-parse.
 */
export async function saveStructures(store: Store, pending: { id: MessageRecord['id']; meta: Record<string, unknown> }[]): Promise<void> {
  for (const { id, meta } of pending) {
    try {
      await store.setMessageMeta(id, meta);
    } catch {
      return;
    }
  }
}
