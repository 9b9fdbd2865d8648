// RFC 5322 §2.1-§2.2 header block and fields of a message or MIME entity, read from its bytes.

/** Where the header ends: the first empty line (RFC 5322 §2.1), or the whole message if none. */
export function headerLength(raw: Buffer): number {
  return headerEnd(raw, 0, raw.length);
}

/**
 * Where the header of the entity in raw[start, end) ends, past its empty line
 * (RFC 5322 §2.1, RFC 2045 §3): `start` itself plus the line break when the
 * entity opens with an empty line (no header fields), `end` when it has no body.
 */
export function headerEnd(raw: Buffer, start: number, end: number): number {
  if (raw[start] === 0x0a) return start + 1;
  if (raw[start] === 0x0d && raw[start + 1] === 0x0a) return start + 2;
  let crlf = raw.indexOf('\r\n\r\n', start);
  let lf = raw.indexOf('\n\n', start);
  if (crlf + 4 > end) crlf = -1;
  if (lf + 2 > end) lf = -1;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  if (lf >= 0) return lf + 2;
  return end;
}

/** Header fields as [lower-case name, unfolded raw value] in order (RFC 5322 §2.2.3 unfolding). */
export function parseHeaderFields(header: Buffer): [string, string][] {
  const fields: [string, string][] = [];
  for (const line of header.toString('utf8').split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line) && fields.length > 0) {
      const last = fields[fields.length - 1]!;
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return fields;
}
