// BODY[section] (RFC 3501 §6.4.5): the exact bytes of a part, a MIME header, or an encapsulated message's header or text.
import { mimeEntity, multipartParts, type MimeEntity } from '../message/index.js';

/** What a section names: imap-core's parse of `1.2.HEADER.FIELDS (…)`. */
export interface SectionSpec {
  /** Dot-separated part numbers, '' or absent for the message itself. */
  path?: string;
  /** content, header, header.fields, header.fields.not, text or mime. */
  type?: string;
  /** Lower-case field names for header.fields and header.fields.not. */
  headers?: string[];
}

/** A located entity and whether it is a whole message (top level or encapsulated) rather than a body part. */
interface Located {
  entity: MimeEntity;
  message: boolean;
  /** Multiparts above it plus messages it is encapsulated in. */
  depth: number;
}

/**
 * Past this depth a part is a leaf, as in imap-core's parser (patched to the
 * same limit so that BODYSTRUCTURE agrees) and Dovecot's default.
 */
const MAX_NESTING = 100;

const CRLF = Buffer.from('\r\n');

/** Encodings under which an encapsulated message is readable as it is (RFC 2046 §5.2.1 allows only these). */
const IDENTITY_ENCODINGS = new Set(['7bit', '8bit', 'binary']);

/** RFC 3501 §6.4.5: a MESSAGE/RFC822 part's sub-parts and HEADER/TEXT are those of the message it encapsulates. */
function encapsulated(raw: Buffer, at: Located): Located | null {
  if (at.message) return at;
  const { contentType, transferEncoding } = at.entity;
  if (contentType !== 'message/rfc822' || !IDENTITY_ENCODINGS.has(transferEncoding) || at.depth >= MAX_NESTING) return null;
  return { entity: mimeEntity(raw, at.entity.bodyStart, at.entity.end), message: true, depth: at.depth + 1 };
}

/**
 * Part `n` of `at`: a multipart's n-th body part; a non-multipart message or
 * part has the one part 1, its own body (with its header as MIME header).
 */
function part(raw: Buffer, at: Located, n: number): Located | null {
  const inner = encapsulated(raw, at) ?? at;
  // A multipart without a boundary, without delimiter lines or past the nesting limit is a leaf (as BODYSTRUCTURE shows it).
  const parts = inner.entity.contentType.startsWith('multipart/') && inner.depth < MAX_NESTING ? multipartParts(raw, inner.entity) : [];
  if (parts.length > 0) {
    const range = parts[n - 1];
    return range ? { entity: mimeEntity(raw, range.start, range.end), message: false, depth: inner.depth + 1 } : null;
  }
  return n === 1 ? { ...inner, message: false } : null;
}

/** Follows the part numbers one by one (a loop: the path comes from the client). */
export function locate(raw: Buffer, path: string): Located | null {
  let at: Located | null = { entity: mimeEntity(raw, 0, raw.length), message: true, depth: 0 };
  if (path === '') return at;
  for (const number of path.split('.')) {
    const n = Number(number);
    if (!Number.isInteger(n) || n < 1 || !at) return null;
    at = part(raw, at, n);
  }
  return at;
}

/** A header as sent: its bytes through the empty line, which is added when the entity has none. */
function headerBytes(raw: Buffer, entity: MimeEntity): Buffer {
  const header = raw.subarray(entity.start, entity.bodyStart);
  return /(?:^|\n)\r?\n$/.test(header.subarray(-4).toString('binary')) ? header : Buffer.concat([header, CRLF]);
}

/** RFC 3501 §6.4.5 HEADER.FIELDS / HEADER.FIELDS.NOT: the chosen fields exactly as written, then the empty line. */
function headerFields(raw: Buffer, entity: MimeEntity, names: readonly string[], exclude: boolean): Buffer {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const chosen: Buffer[] = [];
  const header = raw.subarray(entity.start, entity.bodyStart);
  let field: { name: string; start: number } | null = null;
  const close = (end: number): void => {
    if (field && field.name !== '' && wanted.has(field.name) !== exclude) {
      const bytes = header.subarray(field.start, end);
      chosen.push(bytes[bytes.length - 1] === 0x0a ? bytes : Buffer.concat([bytes, CRLF]));
    }
  };
  let lineStart = 0;
  while (lineStart < header.length) {
    const newline = header.indexOf(0x0a, lineStart);
    const lineEnd = newline < 0 ? header.length : newline + 1;
    const first = header[lineStart];
    if (first === 0x0d || first === 0x0a) break; // the empty line
    // RFC 5322 §2.2.3: a line starting with white space continues the field before it.
    if (first !== 0x20 && first !== 0x09) {
      close(lineStart);
      const colon = header.indexOf(0x3a, lineStart);
      field = { name: colon >= 0 && colon < lineEnd ? header.subarray(lineStart, colon).toString('binary').trim().toLowerCase() : '', start: lineStart };
    }
    lineStart = lineEnd;
  }
  close(lineStart);
  chosen.push(CRLF);
  return Buffer.concat(chosen);
}

/**
 * Bare LF line ends written as CRLF (RFC 3501 §2.2: lines end in CRLF), as
 * imap-core counts them in BODYSTRUCTURE sizes; CRLF text is left as it is.
 */
function crlf(bytes: Buffer): Buffer {
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) {
    if (at === 0 || bytes[at - 1] !== 0x0d) return Buffer.from(bytes.toString('binary').replace(/\r?\n/g, '\r\n'), 'binary');
  }
  return bytes;
}

/**
 * The bytes of BODY[section] before any <partial>, taken from the stored
 * message as they are; a section that names nothing is empty. BODY[],
 * BODY[HEADER] and BODY[TEXT] are the stored bytes exactly (RFC822.SIZE
 * counts them); a part's lines end in CRLF, as its BODYSTRUCTURE size counts.
 */
export function sectionBytes(raw: Buffer, spec: SectionSpec): Buffer {
  const path = spec.path ?? '';
  const type = spec.type ?? 'content';
  const bytes = rawSectionBytes(raw, path, type, spec.headers ?? []);
  return path === '' && (type === 'content' || type === 'header' || type === 'text') ? bytes : crlf(bytes);
}

function rawSectionBytes(raw: Buffer, path: string, type: string, headers: readonly string[]): Buffer {
  const at = locate(raw, path);
  if (!at) return Buffer.alloc(0);
  if (type === 'content') return path === '' ? raw : raw.subarray(at.entity.bodyStart, at.entity.end);
  if (type === 'mime') return path === '' ? Buffer.alloc(0) : headerBytes(raw, at.entity);
  // HEADER, HEADER.FIELDS[.NOT] and TEXT: of the message itself, or of the message a MESSAGE/RFC822 part holds.
  const message = encapsulated(raw, at);
  if (!message) return Buffer.alloc(0);
  switch (type) {
    case 'header':
      return headerBytes(raw, message.entity);
    case 'header.fields':
      return headerFields(raw, message.entity, headers, false);
    case 'header.fields.not':
      return headerFields(raw, message.entity, headers, true);
    case 'text':
      return raw.subarray(message.entity.bodyStart, message.entity.end);
    default:
      return Buffer.alloc(0);
  }
}

/**
 * Whether a section names something in the message (RFC 4469 §3: a URL to a
 * part that does not exist is a bad URL, where FETCH would answer it empty):
 * the part exists, MIME follows a part number, and HEADER/TEXT belong to the
 * message or to a MESSAGE/RFC822 part.
 */
export function sectionExists(raw: Buffer, spec: SectionSpec): boolean {
  const path = spec.path ?? '';
  const at = locate(raw, path);
  if (!at) return false;
  switch (spec.type ?? 'content') {
    case 'content':
      return true;
    case 'mime':
      return path !== '';
    default:
      return encapsulated(raw, at) !== null;
  }
}
