import { newMessageId, parseAddressList, rfc5322Date } from '@postern/address';
import mimeFuncs from 'nodemailer/lib/mime-funcs/index.js';

/**
 * The message as sendmail reads it from standard input: lines ended by LF or
 * CRLF, up to a line holding a single dot unless `ignoreDots` (-i, -oi).
 * Lines are latin1 strings, so that every byte, 8-bit or not, comes back unchanged.
 */
export function submittedLines(input: Buffer, ignoreDots: boolean): string[] {
  const lines = input.toString('latin1').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (!ignoreDots) {
    const dot = lines.indexOf('.');
    if (dot >= 0) lines.length = dot;
  }
  return lines;
}

export interface CompletionOptions {
  /** The address of a From: header we add. */
  from: string;
  /** -F: its display name. */
  fullName: string | null;
  /** For the Message-ID. */
  hostname: string;
  now: Date;
}

export interface CompletedMessage {
  /** CRLF lines, ready for DATA (not dot-stuffed). */
  message: Buffer;
  /** The addresses of To, Cc and Bcc, in order (for -t). */
  headerRecipients: string[];
}

interface HeaderField {
  /** Lower case. */
  name: string;
  /** The field's lines, the first with the name, then its folded continuations. */
  lines: string[];
}

// RFC 5322 §3.6.8: field-name is printable US-ASCII except the colon (obs-optional allows space before it).
const FIELD_START = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/**
 * What Postfix's cleanup does to a locally submitted message: From:, Date:
 * and Message-ID: added when missing (RFC 5322 §3.6: From and Date are
 * required, Message-ID should be there), Bcc: removed so that no recipient
 * learns the blind copies, and an empty line put between the headers and a
 * body that starts without one.
 */
export function completeMessage(lines: readonly string[], options: CompletionOptions): CompletedMessage {
  let i = 0;
  // An mbox "From " envelope line is not a header field; sendmail drops it.
  if (lines[0]?.startsWith('From ')) i = 1;
  const fields: HeaderField[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const start = FIELD_START.exec(line);
    const last = fields.at(-1);
    if (start) fields.push({ name: (start[1] ?? '').toLowerCase(), lines: [line] });
    else if (last && /^[ \t]/.test(line)) last.lines.push(line);
    else break;
  }
  const body = lines[i] === '' ? lines.slice(i + 1) : lines.slice(i);

  const has = (name: string): boolean => fields.some((f) => f.name === name);
  const added: string[] = [];
  if (!has('from')) added.push(`From: ${mailbox(options.from, options.fullName)}`);
  if (!has('date')) added.push(`Date: ${rfc5322Date(options.now, 'local')}`);
  if (!has('message-id')) added.push(`Message-ID: ${newMessageId(options.hostname, options.now)}`);

  const headerRecipients = fields.filter((f) => f.name === 'to' || f.name === 'cc' || f.name === 'bcc').flatMap((f) => fieldAddresses(f));
  const kept = fields.filter((f) => f.name !== 'bcc').flatMap((f) => f.lines);
  const text = [...kept, ...added, '', ...body].join('\r\n') + '\r\n';
  return { message: Buffer.from(text, 'latin1'), headerRecipients };
}

/** The addresses of an address-list field (groups flattened, display names dropped). */
function fieldAddresses(field: HeaderField): string[] {
  // RFC 5322 §2.2.3: unfolding removes the CRLF before each continuation.
  const unfolded = field.lines.join('');
  return listAddresses(Buffer.from(unfolded.slice(unfolded.indexOf(':') + 1), 'latin1').toString('utf8'));
}

// RFC 5322 §3.2.3 dot-atom: a local part that needs no quotes.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/**
 * The addresses of an RFC 5322 §3.4 address-list as sendmail users write it,
 * in headers or arguments ("a@x, Bob <b@y>", groups), bare local names
 * included ("To: root", as mailutils and cron write it): sendmail qualifies
 * them with myorigin (Postfix append_at_myorigin).
 */
export function listAddresses(value: string): string[] {
  return parseAddressList(value).flatMap((entry) => {
    if (entry.kind !== 'mailbox' || entry.localPart === null || entry.localPart === '') return [];
    const local = DOT_ATOM.test(entry.localPart) ? entry.localPart : `"${entry.localPart.replace(/["\\]/g, '\\$&')}"`;
    return [entry.domain === null ? local : `${local}@${entry.domain}`];
  });
}

/** RFC 5322 §3.4 name-addr: the name as atoms, a quoted-string, or RFC 2047 encoded-words beyond ASCII. */
function mailbox(address: string, fullName: string | null): string {
  const name = fullName?.replace(/[\r\n]+/g, ' ').trim() ?? '';
  if (name === '') return address;
  let phrase: string;
  if (/[^\x20-\x7e]/.test(name)) phrase = mimeFuncs.encodeWord(name, 'B', 52);
  else if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(name)) phrase = name;
  else phrase = `"${name.replace(/["\\]/g, '\\$&')}"`;
  return `${phrase} <${address}>`;
}
