// MIME entities located in a message's bytes (RFC 2045 §3, RFC 2046 §5.1.1), found without copying or rebuilding anything.
import { parseContentType } from './content-type.js';
import { headerEnd, parseHeaderFields } from './header-fields.js';

/** An entity (a message or a body part) inside the message: its header is raw[start, bodyStart), its body raw[bodyStart, end). */
export interface MimeEntity {
  start: number;
  bodyStart: number;
  end: number;
  /** Lower-case `type/subtype` (RFC 2045 §5.2: text/plain when the field is absent or unreadable). */
  contentType: string;
  /** The multipart boundary parameter, when there is one. */
  boundary: string | null;
  /** Lower-case Content-Transfer-Encoding (RFC 2045 §6.1: 7bit when absent). */
  transferEncoding: string;
}

/** The entity occupying raw[start, end). */
export function mimeEntity(raw: Buffer, start: number, end: number): MimeEntity {
  const bodyStart = headerEnd(raw, start, end);
  const fields = parseHeaderFields(raw.subarray(start, bodyStart));
  const value = (name: string): string => fields.find(([field]) => field === name)?.[1] ?? '';
  const transferEncoding = value('content-transfer-encoding').replace(/\([^()]*\)/g, '').trim().toLowerCase() || '7bit';
  // RFC 2045 §5.2: text/plain when the field is absent or unreadable.
  const { contentType, boundary } = parseContentType(value('content-type'));
  return { start, bodyStart, end, contentType: contentType ?? 'text/plain', boundary, transferEncoding };
}

/** The length of the line break ending just before `at` (CRLF or a bare LF), 0 when there is none. */
function breakBefore(raw: Buffer, at: number, floor: number): number {
  if (at - 2 >= floor && raw[at - 2] === 0x0d && raw[at - 1] === 0x0a) return 2;
  if (at - 1 >= floor && raw[at - 1] === 0x0a) return 1;
  return 0;
}

/**
 * The body parts of a multipart entity as [start, end) ranges, in order
 * (RFC 2046 §5.1.1): the preamble before the first delimiter and the epilogue
 * after the close delimiter belong to no part, and the line break before each
 * delimiter belongs to the delimiter. Without a close delimiter the last part
 * runs to the end of the entity.
 */
export function multipartParts(raw: Buffer, entity: MimeEntity): { start: number; end: number }[] {
  const parts: { start: number; end: number }[] = [];
  if (!entity.boundary) return parts;
  const delimiter = Buffer.from(`--${entity.boundary}`, 'binary');
  let partStart = -1;
  let from = entity.bodyStart;
  for (;;) {
    const at = raw.indexOf(delimiter, from);
    if (at < 0 || at + delimiter.length > entity.end) break;
    from = at + 1;
    // A delimiter line starts a line and holds nothing after the boundary but "--" and transport padding.
    if (at !== entity.bodyStart && breakBefore(raw, at, entity.bodyStart) === 0) continue;
    let after = at + delimiter.length;
    const close = raw[after] === 0x2d && raw[after + 1] === 0x2d && after + 2 <= entity.end;
    if (close) after += 2;
    while (after < entity.end && (raw[after] === 0x20 || raw[after] === 0x09)) after++;
    let next: number;
    if (after >= entity.end) next = entity.end;
    else if (raw[after] === 0x0a) next = after + 1;
    else if (raw[after] === 0x0d && raw[after + 1] === 0x0a) next = after + 2;
    else continue;
    if (partStart >= 0) parts.push({ start: partStart, end: Math.max(partStart, at - breakBefore(raw, at, partStart)) });
    if (close) return parts;
    partStart = next;
    from = next;
  }
  if (partStart >= 0) parts.push({ start: partStart, end: entity.end });
  return parts;
}
