import libmime from 'libmime';
import { parseHeaderFields } from '@postern/mime';
import type { MessageHeaders } from '@postern/store';

function decode(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/** The header fields the store keeps for SEARCH and ENVELOPE, decoded (RFC 2047). */
export function summarizeHeaders(header: Buffer): MessageHeaders {
  const first = new Map<string, string>();
  for (const [name, value] of parseHeaderFields(header)) if (!first.has(name)) first.set(name, value);
  const text = (name: string): string | undefined => {
    const value = first.get(name);
    return value === undefined ? undefined : decode(value);
  };
  const dateText = first.get('date');
  const date = dateText ? new Date(dateText) : null;
  return {
    subject: text('subject'),
    from: text('from'),
    to: text('to'),
    cc: text('cc'),
    bcc: text('bcc'),
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    messageId: first.get('message-id'),
    inReplyTo: first.get('in-reply-to'),
    // "" when absent, so that a summary without the key tells of a message stored before References was kept.
    references: first.get('references') ?? '',
  };
}
