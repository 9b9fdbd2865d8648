// ENVELOPE (RFC 3501 §7.4.2) from a message header, addresses through the one RFC 5322 address-list parser.
import { domainToUnicode } from 'node:url';
import libmime from 'libmime';
import { parseAddressList } from '@postern/address';
import { parseHeaderFields } from '../message/index.js';

/** An address structure: personal name, at-domain-list (source route), mailbox name, host name. */
export type EnvelopeAddress = [string | null, string | null, string | null, string | null];

type Addresses = EnvelopeAddress[] | null;

/** Date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to, message-id. */
export type Envelope = [string | null, string | null, Addresses, Addresses, Addresses, Addresses, Addresses, Addresses, string | null, string | null];

function decodeWords(text: string): string {
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** An A-label host is shown as its U-label; the FETCH writer turns it back for clients without UTF8=ACCEPT. */
function host(domain: string): string {
  if (!/(^|\.)xn--/i.test(domain)) return domain;
  return domainToUnicode(domain) || domain;
}

/**
 * RFC 3501 §7.4.2 address list: group syntax as a start marker (mailbox name
 * = group name, host NIL) and an end marker (all NIL). A mailbox always has a
 * host, so that it never reads as a group marker: a missing part is written
 * as Dovecot writes it (MISSING_MAILBOX, MISSING_DOMAIN).
 */
export function envelopeAddresses(value: string): EnvelopeAddress[] | null {
  const addresses: EnvelopeAddress[] = [];
  for (const entry of parseAddressList(value)) {
    if (entry.kind === 'group') addresses.push([null, null, decodeWords(entry.name), null]);
    else if (entry.kind === 'group-end') addresses.push([null, null, null, null]);
    else {
      const name = entry.name === null ? null : decodeWords(entry.name);
      addresses.push([name, entry.route, entry.localPart ?? 'MISSING_MAILBOX', entry.domain === null ? 'MISSING_DOMAIN' : host(entry.domain)]);
    }
  }
  return addresses.length > 0 ? addresses : null;
}

/** The ENVELOPE of the message (or encapsulated message) whose header this is. */
export function envelope(header: Buffer): Envelope {
  const fields = new Map<string, string>();
  // The first occurrence of each field counts (RFC 5322 §3.6 allows one of each).
  for (const [name, value] of parseHeaderFields(header)) if (!fields.has(name)) fields.set(name, value);
  const text = (name: string): string | null => fields.get(name) ?? null;
  // Absent → NIL; present but empty → "" (Subject, Date); In-Reply-To and Message-ID cannot be empty.
  const subject = text('subject');
  const from = envelopeAddresses(text('from') ?? '');
  const addresses = (name: string): EnvelopeAddress[] | null => envelopeAddresses(text(name) ?? '');
  return [
    text('date'),
    subject === null ? null : decodeWords(subject).trim(),
    from,
    // Sender and Reply-To default to From when absent or empty.
    addresses('sender') ?? from,
    addresses('reply-to') ?? from,
    addresses('to'),
    addresses('cc'),
    addresses('bcc'),
    text('in-reply-to') || null,
    text('message-id') || null,
  ];
}
