// BODYSTRUCTURE, BODY and ENVELOPE (RFC 3501 §7.4.2) from imap-core's MIME parser, cached in message meta.
import libmime from 'libmime';
import type { MessageRecord, Store } from '@postern/store';
import { createIndexer } from './imap-core.js';

/** The parsed-once facts FETCH serves without reading the message again. */
export interface MessageStructure {
  bodystructure: unknown[];
  body: unknown[];
  envelope: unknown[];
}

/** Bump when the cached form changes, so old caches are recomputed. */
const CACHE_VERSION = 1;
const META_KEY = 'imap';

/** The first Subject field, unfolded and RFC 2047-decoded, as UTF-8 bytes. */
function envelopeSubject(value: unknown): Buffer | null {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first !== 'string') return null;
  const unfolded = first.replace(/\s*\r?\n\s*/g, ' ').trim();
  try {
    return Buffer.from(libmime.decodeWords(unfolded).trim());
  } catch {
    return Buffer.from(unfolded);
  }
}

export function computeStructure(raw: Buffer): MessageStructure {
  const indexer = createIndexer();
  const tree = indexer.parseMimeTree(raw);
  const envelope = indexer.getEnvelope(tree);
  // imap-core decodes an already decoded Subject a second time, garbling raw UTF-8 (RFC 6532) subjects.
  const subject = envelopeSubject(tree.parsedHeader.subject);
  if (subject !== null) envelope[1] = subject;
  // In-Reply-To and Message-ID are single strings in an ENVELOPE even when the header repeats.
  for (const index of [8, 9]) {
    const value = envelope[index];
    if (Array.isArray(value)) envelope[index] = value[value.length - 1] ?? null;
  }
  return { bodystructure: indexer.getBodyStructure(tree), body: indexer.getBody(tree), envelope };
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
