// SORT and UID SORT (RFC 5256): the messages a search selects, in the order of the sort keys.
import { parseAddressList } from '@postern/address';
import type { MessageRecord } from '@postern/store';
import { nodeWord as word } from './command-args.js';
import type { CommandHandler, CommandNode, ParsedCommand } from './imap-core.js';
import { sessionState } from './session.js';

/** RFC 5256 §3: the sort keys of the base specification. */
const SORT_KEYS = ['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}

/** RFC 5256 §5: `sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"`, `sort-criterion = ["REVERSE" SP] sort-key`. */
export function parseSortCriteria(node: CommandNode | undefined): SortCriterion[] {
  if (!Array.isArray(node) || node.length === 0) throw new Error('SORT needs a list of sort criteria');
  const criteria: SortCriterion[] = [];
  for (let i = 0; i < node.length; i++) {
    let name = word(node[i]);
    const reverse = name === 'REVERSE';
    if (reverse) name = word(node[++i]);
    if (!name || !(SORT_KEYS as readonly string[]).includes(name)) throw new Error(`Unknown SORT key ${name ?? ''}`.trim());
    criteria.push({ key: name as SortKey, reverse });
  }
  return criteria;
}

/** RFC 5256 §5 subj-blob: "[" *BLOBCHAR "]" *WSP. */
const BLOB = String.raw`\[[^\[\]]*\][ \t]*`;
/** RFC 5256 §5 subj-leader: (*subj-blob subj-refwd) / WSP, with subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":". */
const LEADER = new RegExp(String.raw`^(?:(?:${BLOB})*(?:re|fwd?)[ \t]*(?:${BLOB})?:|[ \t])`, 'i');
const LEADING_BLOB = new RegExp(`^${BLOB}`);

/** RFC 5256 §2.1 step 2: the trailing "(fwd)" and white space, removed one by one from the end; `forwarded` when a "(fwd)" went. */
function withoutTrailers(subject: string): { text: string; forwarded: boolean } {
  let end = subject.length;
  let forwarded = false;
  for (;;) {
    if (end > 0 && (subject[end - 1] === ' ' || subject[end - 1] === '\t')) end--;
    else if (end >= 5 && subject.slice(end - 5, end).toLowerCase() === '(fwd)') {
      end -= 5;
      forwarded = true;
    } else return { text: subject.slice(0, end), forwarded };
  }
}

/** The base subject, and whether extracting it took off a reply or forward marker (RFC 5256 §2.1, used by THREAD §4 step 6). */
export interface SubjectBase {
  base: string;
  replyOrForward: boolean;
}

/**
 * RFC 5256 §2.1 base subject: white space runs made one space (step 1; the
 * stored subject is already decoded from RFC 2047), trailers (step 2),
 * leaders (step 3) and leading blobs that leave text behind (step 4) removed
 * until nothing changes (step 5), and a "[fwd: …]" wrapper taken off (step 6).
 * RFC 5256 §2.1: a "(fwd)" trailer, a subj-refwd leader or a "[fwd:" wrapper
 * make the message a reply or forward.
 */
export function subjectBase(subject: string): SubjectBase {
  let text = subject.replace(/[ \t\r\n]+/g, ' ');
  let replyOrForward = false;
  for (;;) {
    const trailed = withoutTrailers(text);
    text = trailed.text;
    replyOrForward ||= trailed.forwarded;
    for (;;) {
      const before = text;
      for (let leader = LEADER.exec(text); leader && leader[0].length > 0; leader = LEADER.exec(text)) {
        // A leader that is not a lone white space is a subj-refwd ("re", "fw", "fwd").
        if (leader[0].trim() !== '') replyOrForward = true;
        text = text.slice(leader[0].length);
      }
      const blob = LEADING_BLOB.exec(text);
      if (blob && blob[0].length < text.length) text = text.slice(blob[0].length);
      if (text === before) break;
    }
    if (/^\[fwd:/i.test(text) && text.endsWith(']')) {
      text = text.slice(5, -1);
      replyOrForward = true;
      continue;
    }
    return { base: text, replyOrForward };
  }
}

/** RFC 5256 §2.1 base subject (see subjectBase). */
export function baseSubject(subject: string): string {
  return subjectBase(subject).base;
}

/** RFC 5256 §3 FROM/TO/CC: the addr-mailbox (local part) of the field's first address, "" when there is none. */
function firstMailbox(field: string | undefined): string {
  if (!field) return '';
  const first = parseAddressList(field).find((entry) => entry.kind === 'mailbox');
  return first && first.kind === 'mailbox' ? (first.localPart ?? '') : '';
}

/** RFC 4790 i;ascii-casemap: ASCII letters folded to upper case (the form THREAD compares base subjects in). */
export function asciiCasemapText(value: string): string {
  return value.replace(/[a-z]/g, (c) => c.toUpperCase());
}

/** RFC 4790 i;ascii-casemap: ASCII letters folded to upper case, then octets compared. */
function asciiCasemap(value: string): Buffer {
  return Buffer.from(asciiCasemapText(value), 'utf8');
}

/** RFC 5256 §2.2 sent date: the Date field in UTC; the internal date when it is missing or unreadable. */
export function sentDate(record: MessageRecord): number {
  return (record.headers.date ?? record.internalDate).getTime();
}

function sortValue(record: MessageRecord, key: SortKey): number | Buffer {
  switch (key) {
    case 'ARRIVAL':
      return record.internalDate.getTime();
    case 'DATE':
      return sentDate(record);
    case 'SIZE':
      return record.size;
    case 'SUBJECT':
      return asciiCasemap(baseSubject(record.headers.subject ?? ''));
    case 'FROM':
      return asciiCasemap(firstMailbox(record.headers.from));
    case 'TO':
      return asciiCasemap(firstMailbox(record.headers.to));
    case 'CC':
      return asciiCasemap(firstMailbox(record.headers.cc));
  }
}

function compare(a: number | Buffer, b: number | Buffer): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : Buffer.compare(a as Buffer, b as Buffer);
}

/**
 * The records in SORT order; RFC 5256 §3: messages equal under every key keep
 * their order by sequence number (the records come in UID order, and the sort is stable).
 */
export function sortRecords(records: MessageRecord[], criteria: SortCriterion[]): MessageRecord[] {
  const keyed = records.map((record) => ({ record, values: criteria.map((criterion) => sortValue(record, criterion.key)) }));
  keyed.sort((a, b) => {
    for (const [i, criterion] of criteria.entries()) {
      const order = compare(a.values[i]!, b.values[i]!);
      if (order !== 0) return criterion.reverse ? -order : order;
    }
    return 0;
  });
  return keyed.map((entry) => entry.record);
}

/** A SEARCH command object that carries a SORT: onSearchReturn answers it with `* SORT`. */
export interface SortingSearch extends ParsedCommand {
  sort: true;
}

/** RFC 5256 §4: `* SORT n…`, with `(MODSEQ m)` after a search on MODSEQ (RFC 7162 §3.1.5). */
export function sortLine(numbers: number[], modseq: number | false): string {
  return `* SORT${numbers.map((n) => ` ${n}`).join('')}${modseq ? ` (MODSEQ ${modseq})` : ''}`;
}

/**
 * SORT and UID SORT (RFC 5256 §3: `SORT sort-criteria SP charset 1*(SP search-key)`):
 * the search runs through imap-core's SEARCH (one parser of search keys), with
 * the criteria waiting in the session for the search hook, which orders the matches.
 */
export function sortCommand(search: CommandHandler): CommandHandler {
  return {
    state: 'Selected',
    schema: false,
    handler(command, callback) {
      const isUid = command.command.toUpperCase() === 'UID SORT';
      let criteria: SortCriterion[];
      try {
        criteria = parseSortCriteria(command.attributes[0]);
      } catch (err) {
        return callback(err as Error);
      }
      const [, charset, ...keys] = command.attributes;
      if (!charset || Array.isArray(charset) || keys.length === 0) return callback(new Error('SORT needs a charset and search keys'));
      const searching: SortingSearch = { tag: command.tag, command: isUid ? 'UID SEARCH' : 'SEARCH', attributes: [{ type: 'ATOM', value: 'CHARSET' }, charset, ...keys], sort: true };
      const state = sessionState(this.session);
      if (state) state.sortCriteria = criteria;
      try {
        search.handler.call(this, searching, callback);
      } finally {
        // The search hook has read them by now (imap-core calls it before its first wait).
        if (state) state.sortCriteria = null;
      }
    },
  };
}
