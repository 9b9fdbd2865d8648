// Evaluates a SEARCH query (as imap-core parses it) against one message (RFC 3501 §6.4.4, RFC 7162 §3.1.5).
import libmime from 'libmime';
import { parseAddressList, rfc5322CalendarDate } from '@postern/address';
import type { MessageHeaders, MessageRecord, Store } from '@postern/store';
import { headerLength, parseHeaderFields } from '../message/index.js';
import { createIndexer } from './imap-core.js';
import { cachedStructure } from './structure.js';

/** One search key from imap-core's parser; a list is an AND of its members. */
export type SearchNode = SearchKey | SearchNode[];

export interface SearchKey {
  key: string;
  value?: unknown;
  header?: string;
  operator?: string;
  exists?: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** RFC 3501 date (`1-Feb-1994`) as a day number; date keys compare days, disregarding time and zone. */
export function searchDay(text: string): number {
  const match = /^(\d{1,2})-([a-z]{3})-(\d{4})$/i.exec(text.trim());
  const month = match ? MONTHS.indexOf(match[2]!.toLowerCase()) : -1;
  if (!match || month < 0) throw new Error(`invalid search date ${text}`);
  return Date.UTC(Number(match[3]), month, Number(match[1])) / 86_400_000;
}

function day(date: Date): number {
  return Math.floor(date.getTime() / 86_400_000);
}

function compareDays(actual: number, operator: string | undefined, wanted: number): boolean {
  switch (operator) {
    case '<':
      return actual < wanted;
    case '>=':
      return actual >= wanted;
    default:
      return actual === wanted;
  }
}

/** Search strings arrive as binary strings from the wire; clients send UTF-8. */
export function searchText(value: unknown): string {
  return Buffer.from(String(value ?? ''), 'binary').toString('utf8').toLowerCase();
}

function decode(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

const SUMMARY_FIELDS: Record<string, keyof MessageHeaders> = { subject: 'subject', from: 'from', to: 'to', cc: 'cc', bcc: 'bcc' };

/** Address fields, matched also in their parsed form (RFC 3501 §6.4.4 FROM/TO/CC/BCC search the address structure). */
const ADDRESS_FIELDS = new Set(['from', 'sender', 'reply-to', 'to', 'cc', 'bcc']);

/**
 * Each mailbox of an address field written plainly, `name <route:local@domain>`,
 * so that comments and folding inside the field (`<user (c)@ (c) example.org>`)
 * do not hide the address from a search.
 */
function addressForms(value: string): string[] {
  const forms: string[] = [];
  for (const entry of parseAddressList(value)) {
    if (entry.kind === 'group') forms.push(entry.name.toLowerCase());
    if (entry.kind !== 'mailbox') continue;
    const spec = `${entry.localPart ?? ''}@${entry.domain ?? ''}`;
    forms.push(`${entry.name ?? ''} <${entry.route ? `${entry.route}:` : ''}${spec}>`.toLowerCase());
  }
  return forms;
}

function fieldMatches(name: string, value: string, wanted: string): boolean {
  if (value.includes(wanted)) return true;
  return ADDRESS_FIELDS.has(name) && addressForms(value).some((form) => form.includes(wanted));
}

/** One message under test: its record, with its header and text read from the store only if a key needs them. */
export class SearchSubject {
  private fields: Promise<[string, string][]> | null = null;
  private text: Promise<string> | null = null;

  constructor(
    private readonly store: Store,
    readonly record: MessageRecord,
  ) {}

  /** Header fields, decoded (RFC 2047), in order. */
  headerFields(): Promise<[string, string][]> {
    this.fields ??= this.readHeader().then((header) => parseHeaderFields(header).map(([name, value]) => [name, decode(value).toLowerCase()]));
    return this.fields;
  }

  /**
   * RFC 3501 §6.4.4 SENT*: the day of the Date field as written, disregarding
   * time and zone (the cached ENVELOPE holds the field; else the header is read).
   * A message without a readable Date falls back to its internal date.
   */
  async sentDay(): Promise<number> {
    const cached = cachedStructure(this.record)?.envelope[0];
    const written = typeof cached === 'string' ? cached : (await this.headerFields()).find(([name]) => name === 'date')?.[1];
    const date = written === undefined ? null : rfc5322CalendarDate(written);
    return date ? Date.UTC(date.year, date.month - 1, date.day) / 86_400_000 : day(this.record.internalDate);
  }

  /** The text of the body, transfer-decoded and charset-converted (HTML reduced to text). */
  bodyText(): Promise<string> {
    this.text ??= this.store.readMessage(this.record).then((raw) => {
      const indexer = createIndexer();
      const data = indexer.getMaildata(indexer.parseMimeTree(raw));
      return (data.text || data.html.join('\n')).toLowerCase();
    });
    return this.text;
  }

  /** The header as stored (undecoded), from the first part when that is the header. */
  async readHeader(): Promise<Buffer> {
    // The first part is the header when the message was cut by prepareMessage; otherwise read it all.
    const first = this.record.parts[0];
    const part = first ? await this.store.getBlob(first) : null;
    if (part && headerLength(part) === part.length && /\n\r?\n$/.test(part.subarray(-4).toString('binary'))) return part;
    const raw = await this.store.readMessage(this.record);
    return raw.subarray(0, headerLength(raw));
  }
}

async function headerMatches(subject: SearchSubject, name: string, wanted: string): Promise<boolean> {
  const summary = SUMMARY_FIELDS[name];
  // The stored summary (prepareMessage's) answers the common keys without reading the header.
  const summarized = Object.keys(subject.record.headers).length > 0;
  if (summary && wanted !== '' && summarized) {
    const value = subject.record.headers[summary];
    return typeof value === 'string' && fieldMatches(name, value.toLowerCase(), wanted);
  }
  const fields = await subject.headerFields();
  // RFC 3501: an empty string matches every message that has the field.
  return fields.some(([field, value]) => field === name && fieldMatches(name, value, wanted));
}

function hasFlag(record: MessageRecord, flag: string): boolean {
  const wanted = flag.toLowerCase();
  return record.flags.some((candidate) => candidate.toLowerCase() === wanted);
}

/** True when the message satisfies the key (a list: every key). */
export async function matches(node: SearchNode, subject: SearchSubject): Promise<boolean> {
  if (Array.isArray(node)) {
    for (const child of node) if (!(await matches(child, subject))) return false;
    return true;
  }
  const record = subject.record;
  switch (node.key) {
    case 'all':
    case 'charset':
      return true;
    case 'flag':
      // \Recent is in the flags of this session's recent messages (search.ts adds it, RFC 3501 §2.3.2).
      return hasFlag(record, String(node.value)) === Boolean(node.exists);
    case 'not':
      return !(await matches(node.value as SearchNode, subject));
    case 'or': {
      const [left, right] = node.value as SearchNode[];
      return (left !== undefined && (await matches(left, subject))) || (right !== undefined && (await matches(right, subject)));
    }
    case 'uid':
      return Array.isArray(node.value) ? (node.value as number[]).includes(record.uid) : Number(node.value) === record.uid;
    case 'modseq':
      return record.modseq >= Number(node.value);
    case 'size':
      return node.operator === '<' ? record.size < Number(node.value) : record.size > Number(node.value);
    case 'internaldate':
      return compareDays(day(record.internalDate), node.operator, searchDay(String(node.value)));
    case 'date':
      return compareDays(await subject.sentDay(), node.operator, searchDay(String(node.value)));
    case 'header':
      return headerMatches(subject, String(node.header ?? '').toLowerCase(), searchText(node.value));
    case 'body':
      return (await subject.bodyText()).includes(searchText(node.value));
    case 'text': {
      const wanted = searchText(node.value);
      const fields = await subject.headerFields();
      return fields.some(([name, value]) => name.includes(wanted) || value.includes(wanted)) || (await subject.bodyText()).includes(wanted);
    }
    default:
      throw new Error(`unsupported search key ${node.key}`);
  }
}

/** Keys that read only a message's UID, MODSEQ and flags (UNSEEN, FLAGGED, UID …, NOT/OR of them). */
const FLAG_STATE_KEYS = new Set(['all', 'charset', 'flag', 'uid', 'modseq']);

/** True when every key of the query is answered from UID, MODSEQ and flags alone (store.listMessageFlags). */
export function flagStateSuffices(node: SearchNode): boolean {
  if (Array.isArray(node)) return node.every(flagStateSuffices);
  if (node.key === 'not') return flagStateSuffices(node.value as SearchNode);
  if (node.key === 'or') return ((node.value as SearchNode[]) ?? []).every(flagStateSuffices);
  return FLAG_STATE_KEYS.has(node.key);
}

/** CHARSET names a client may use (RFC 3501 §6.4.4: US-ASCII required; UTF-8 is what we decode). */
export function unsupportedCharset(node: SearchNode): string | null {
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = unsupportedCharset(child);
      if (found) return found;
    }
    return null;
  }
  if (node.key === 'charset') {
    const charset = String(node.value ?? '').toUpperCase();
    return charset === 'UTF-8' || charset === 'US-ASCII' ? null : charset;
  }
  if (node.key === 'not') return unsupportedCharset(node.value as SearchNode);
  if (node.key === 'or') return unsupportedCharset((node.value as SearchNode[]) ?? []);
  return null;
}
