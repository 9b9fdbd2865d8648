// THREAD and UID THREAD (RFC 5256): the messages a search selects, as threads by ORDEREDSUBJECT or REFERENCES.
import type { MessageRecord, Store } from '@postern/store';
import { parseHeaderFields } from '../message/index.js';
import { nodeWord } from './command-args.js';
import type { CommandHandler, ImapSession, ParsedCommand } from './imap-core.js';
import { SearchSubject } from './search-match.js';
import { sessionState } from './session.js';
import { sentDate, subjectBase } from './sort.js';
import { orderedSubjectThreads } from './thread-ordered-subject.js';
import { referencesThreads } from './thread-references.js';
import { threadLine, type ThreadMessage, type ThreadNode } from './thread-tree.js';

/** RFC 5256 §3 THREAD: the algorithms this server threads by (advertised as THREAD=…). */
export const THREAD_ALGORITHMS = ['ORDEREDSUBJECT', 'REFERENCES'] as const;
export type ThreadAlgorithm = (typeof THREAD_ALGORITHMS)[number];

/** One THREAD being run: the search hook puts the threads here, the answer words them. */
export interface ThreadJob {
  algorithm: ThreadAlgorithm;
  isUid: boolean;
  session: ImapSession;
  roots: ThreadNode[];
}

/** A SEARCH command object that carries a THREAD: onSearchReturn answers it with `* THREAD`. */
export interface ThreadingSearch extends ParsedCommand {
  thread: ThreadJob;
}

/** Messages prepared between two turns of the event loop. */
const YIELD_EVERY = 256;

/** RFC 5322 §3.6.4 msg-id: "<" id-left "@" id-right ">". */
const MSG_ID = /<[^<>@\s]+@[^<>@\s]+>/g;

function msgIds(field: string | undefined): string[] {
  return field ? (field.match(MSG_ID) ?? []) : [];
}

/** The Message-ID, References and In-Reply-To fields: from the stored summary, else read from the header. */
async function threadFields(store: Store, record: MessageRecord): Promise<{ messageId?: string; references?: string; inReplyTo?: string }> {
  const { headers } = record;
  const summarized = Object.keys(headers).length > 0;
  // A summary without `references` is from before the field was kept: only a reply (In-Reply-To) may have one worth reading.
  if (summarized && (headers.references !== undefined || headers.inReplyTo === undefined)) return headers;
  const fields = new Map<string, string>();
  for (const [name, value] of parseHeaderFields(await new SearchSubject(store, record).readHeader())) if (!fields.has(name)) fields.set(name, value);
  return { messageId: fields.get('message-id'), references: fields.get('references'), inReplyTo: fields.get('in-reply-to') };
}

/** What the thread algorithms need of each matching record (in UID, that is sequence, order). */
async function threadMessages(store: Store, records: MessageRecord[], algorithm: ThreadAlgorithm): Promise<ThreadMessage[]> {
  const messages: ThreadMessage[] = [];
  for (const [position, record] of records.entries()) {
    if (position % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
    const fields = algorithm === 'REFERENCES' ? await threadFields(store, record) : {};
    const references = msgIds(fields.references);
    messages.push({
      uid: record.uid,
      position,
      sent: sentDate(record),
      // RFC 5256 §3 REFERENCES step 1: no valid Message-ID is as good as a unique one.
      messageId: msgIds(fields.messageId)[0] ?? null,
      // RFC 5256 §3 REFERENCES step 1: the References' msg-ids; without any, the first valid one of In-Reply-To.
      references: references.length > 0 ? references : msgIds(fields.inReplyTo).slice(0, 1),
      subject: subjectBase(record.headers.subject ?? ''),
    });
  }
  return messages;
}

/** The threads of the matching records by the job's algorithm. */
export async function threadRecords(store: Store, records: MessageRecord[], job: ThreadJob): Promise<void> {
  const messages = await threadMessages(store, records, job.algorithm);
  job.roots = job.algorithm === 'REFERENCES' ? referencesThreads(messages) : orderedSubjectThreads(messages);
}

/** RFC 5256 §4: `* THREAD …` in UIDs for UID THREAD, else in the session's sequence numbers. */
export function threadAnswer(job: ThreadJob): () => string {
  return () => {
    if (job.isUid) return threadLine(job.roots, (message) => message.uid);
    const selected = job.session.selected;
    const sequence = new Map((selected ? selected.uidList : []).map((uid, index) => [uid, index + 1]));
    return threadLine(job.roots, (message) => sequence.get(message.uid) ?? 0);
  };
}

/**
 * THREAD and UID THREAD (RFC 5256 §5: `thread = ["UID" SP] "THREAD" SP
 * thread-alg SP search-charset 1*(SP search-key)`): the search runs through
 * SEARCH (one parser of search keys), with the job waiting in the session for
 * the search hook, which builds the threads. The answer is in sequence
 * numbers, so no EXPUNGE is sent with it (RFC 3501 §7.4.1): updates wait for
 * the next command.
 */
export function threadCommand(search: CommandHandler): CommandHandler {
  return {
    state: 'Selected',
    schema: false,
    disableNotifications: true,
    handler(command, callback) {
      const isUid = command.command.toUpperCase() === 'UID THREAD';
      const algorithm = nodeWord(command.attributes[0]);
      // RFC 5256 §3: an algorithm the server does not advertise is a BAD.
      if (!algorithm || !(THREAD_ALGORITHMS as readonly string[]).includes(algorithm)) return callback(new Error(`Unknown THREAD algorithm ${algorithm ?? ''}`.trim()));
      const [, charset, ...keys] = command.attributes;
      if (!charset || Array.isArray(charset) || keys.length === 0) return callback(new Error('THREAD needs a charset and search keys'));
      const job: ThreadJob = { algorithm: algorithm as ThreadAlgorithm, isUid, session: this.session, roots: [] };
      const searching: ThreadingSearch = { tag: command.tag, command: isUid ? 'UID SEARCH' : 'SEARCH', attributes: [{ type: 'ATOM', value: 'CHARSET' }, charset, ...keys], thread: job };
      const state = sessionState(this.session);
      if (state) state.threadJob = job;
      try {
        search.handler.call(this, searching, callback);
      } finally {
        // The search hook has read it by now (imap-core calls it before its first wait).
        if (state) state.threadJob = null;
      }
    },
  };
}
