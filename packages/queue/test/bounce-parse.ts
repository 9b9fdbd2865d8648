// Takes a DSN apart as a reader would: header, MIME parts on the boundary, delivery-status groups (no MIME parser is installed).
import assert from 'node:assert/strict';

export interface Part {
  headers: Map<string, string>;
  body: string;
}

/** Splits "header CRLF CRLF body", unfolding header lines (RFC 5322 §2.2.3); names lower-cased. */
export function splitEntity(text: string): Part {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? '' : text.slice(end + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** The DSN's top-level header and its MIME parts (split on the boundary named in Content-Type). */
export function parseReport(message: Buffer): { top: Part; parts: Part[] } {
  const text = message.toString('utf8');
  const top = splitEntity(text);
  const boundary = /boundary="([^"]+)"/.exec(top.headers.get('content-type') ?? '')?.[1];
  assert.ok(boundary, 'multipart/report names its boundary');
  const sections = top.body.split(`--${boundary}`);
  assert.equal(sections.at(-1), '--\r\n', 'the report ends with the closing boundary');
  // Between boundaries: the preamble, the parts, then the closing "--".
  const parts = sections.slice(1, -1).map((section) => splitEntity(section.replace(/^\r\n/, '').replace(/\r\n$/, '')));
  return { top, parts };
}

/** message/delivery-status: per-message fields, then one group per recipient (RFC 3464 §2.1). */
export function statusGroups(body: string): Map<string, string>[] {
  return body
    .trim()
    .split(/\r\n\r\n/)
    .map((group) => splitEntity(`${group}\r\n\r\n`).headers);
}
