import { parseAddress } from '@postern/address';
import { commentEnd, quotedEnd } from './lexical.js';

/**
 * The first mailbox of an address-list header such as From (RFC 5322 §3.4):
 * the addr-spec inside <…> when there is one, else the bare addr-spec;
 * comments are dropped and group names skipped. Returns the address with its
 * domain normalised (lower-case A-label), or null when none parses.
 */
export function firstMailbox(value: string): { address: string; domain: string } | null {
  let text = '';
  let angle: string | null = null;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '"') {
      const end = quotedEnd(value, i);
      if (angle !== null) angle += value.slice(i, end);
      else text += value.slice(i, end);
      i = end - 1;
    } else if (c === '(') {
      i = commentEnd(value, i) - 1;
    } else if (c === '<' && angle === null) {
      angle = '';
    } else if (c === '>' && angle !== null) {
      return mailbox(stripRoute(angle));
    } else if (angle !== null) {
      angle += c;
    } else if (c === ':') {
      // RFC 5322 §3.4 group: "name: a@b, c@d;" — the text so far was the group's display name.
      text = '';
    } else if (c === ',' || c === ';') {
      if (text.trim() !== '') return mailbox(text);
      text = '';
    } else {
      text += c;
    }
  }
  return text.trim() === '' ? null : mailbox(text);
}

function mailbox(spec: string): { address: string; domain: string } | null {
  // CFWS may sit around the dots and the @ of an addr-spec (RFC 5322 §3.4.1); quoted parts keep theirs.
  const compact = spec.replace(/("(?:[^"\\]|\\.)*")|\s+/g, (match, quoted: string | undefined) => quoted ?? '');
  try {
    const parsed = parseAddress(compact);
    return { address: parsed.address, domain: parsed.domain };
  } catch {
    return null;
  }
}

/** Drops an obsolete source route, "<@relay1,@relay2:user@example.com>" (RFC 5322 §4.4). */
function stripRoute(inside: string): string {
  const trimmed = inside.trim();
  return trimmed.startsWith('@') ? trimmed.slice(trimmed.indexOf(':') + 1) : trimmed;
}
