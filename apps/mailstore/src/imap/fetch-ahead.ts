// Pipelined single-message UID FETCHes (RFC 3501 §5.5) read from the store in batches, not one round trip each.
import type { MailboxId, MessageRecord, Store } from '@postern/store';
import type { FetchQueryItem, ImapConnection, ImapSession, SelectedMailbox } from './imap-core.js';
import { pageSelector } from './uid-sets.js';

/** A message read ahead: its record and, when small enough, its bytes. */
export interface ReadAhead {
  record: MessageRecord;
  raw: Buffer | null;
}

interface AheadState {
  /** The selection the loaded messages belong to (a new SELECT or EXAMINE drops them). */
  selected: SelectedMailbox | false;
  /** UIDs of the `UID FETCH n …` lines the client has sent, in order, not yet run. */
  pending: number[];
  loaded: Map<number, ReadAhead>;
}

const states = new WeakMap<ImapSession, AheadState>();

/** A whole `tag UID FETCH n …` line naming one UID (mbsync's first sync sends one per message). */
const SINGLE_UID_FETCH = /^[^\s]+ UID FETCH (\d+) [^\r\n]*\r?\n/gim;
const SINGLE_UID_FETCH_LINE = /^[^\s]+ UID FETCH \d+ [^\r\n]*\r?\n/im;
/** UIDs remembered from the input: the socket pauses long before (imap-core reads 16 KB ahead). */
const MAX_PENDING = 1024;
/** Messages per batch read, and the bytes of them held in memory per session at most. */
const BATCH_MESSAGES = 100;
const BATCH_BYTES = 2 * 1024 * 1024;
/** A larger message is not read ahead (it is read when its own FETCH runs, as before). */
const MESSAGE_BYTES = 256 * 1024;

/**
 * Items whose values never change for a UID (RFC 3501 §2.3.1.1: a UID names
 * one message for the life of the UIDVALIDITY; its bytes, size, date and
 * structure are fixed). FLAGS and MODSEQ change, so a FETCH asking for them
 * is read as it runs. BODY[] without .PEEK sets \Seen and is never read ahead.
 */
const IMMUTABLE_ITEMS = new Set(['uid', 'rfc822.size', 'internaldate', 'envelope', 'bodystructure', 'body', 'binary', 'binary.size', 'rfc822.header']);

export function canReadAhead(query: readonly FetchQueryItem[]): boolean {
  return query.every((item) => IMMUTABLE_ITEMS.has(item.item));
}

/**
 * Watches the client's input for pipelined `UID FETCH n` lines, before imap-core
 * runs them one at a time; a line seen here is only a hint (the command itself
 * is parsed and checked by imap-core as always). The lines are noted as they
 * arrive (the parser's write(): imap-core takes the next chunk into _write only
 * once the commands before it have run, so a client writing one command per
 * packet, as mbsync does, showed one UID at a time there and nothing was read
 * ahead). A chunk with no such line reaching _write (the pipeline is over:
 * NOOP, IDLE, LOGOUT, …) drops what was read ahead.
 */
export function watchPipelinedFetches(connection: ImapConnection): void {
  const parser = connection._parser;
  if (!parser) return;
  const state: AheadState = { selected: false, pending: [], loaded: new Map() };
  states.set(connection.session, state);
  // A literal's octets (an APPEND's message) are not command lines: they are not scanned.
  const commandText = (chunk: unknown): string | null => (connection.session.selected && Buffer.isBuffer(chunk) && !parser._expecting ? chunk.toString('latin1') : null);
  const arrive = parser.write.bind(parser) as (...args: unknown[]) => boolean;
  parser.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    const text = commandText(chunk);
    if (text !== null) {
      for (const match of text.matchAll(SINGLE_UID_FETCH)) {
        if (state.pending.length < MAX_PENDING) state.pending.push(Number(match[1]));
      }
    }
    return arrive(chunk, ...rest);
  }) as typeof parser.write;
  const write = parser._write.bind(parser);
  parser._write = (chunk, encoding, done) => {
    const text = commandText(chunk);
    if (text !== null && !SINGLE_UID_FETCH_LINE.test(text)) {
      state.pending.length = 0;
      state.loaded.clear();
    }
    write(chunk, encoding, done);
  };
}

/**
 * The message `uid` for a FETCH of immutable items only: from the batch read
 * when an earlier FETCH of the pipeline read it, otherwise read now together
 * with the UIDs of the lines the client has sent after it (one listMessages
 * and one readMessages, bounded in bytes). Null when the client has sent no
 * further UID FETCH: the caller reads the message as usual.
 */
export async function readAhead(store: Store, session: ImapSession, mailboxId: MailboxId, uid: number): Promise<ReadAhead | null> {
  const state = states.get(session);
  if (!state) return null;
  if (state.selected !== session.selected) {
    state.selected = session.selected;
    state.loaded.clear();
  }
  const at = state.pending.indexOf(uid);
  const next = at < 0 ? [] : state.pending.slice(at + 1, at + BATCH_MESSAGES);
  if (at >= 0) state.pending.splice(0, at + 1);
  const hit = state.loaded.get(uid);
  if (hit) {
    state.loaded.delete(uid);
    return hit;
  }
  state.loaded.clear();
  if (next.length === 0) return null;
  const uids = [...new Set([uid, ...next])].sort((a, b) => a - b);
  const records = await store.listMessages(mailboxId, { uids: pageSelector(uids) });
  let bytes = 0;
  const small = records.filter((record) => {
    const fits = record.size <= MESSAGE_BYTES && bytes + record.size <= BATCH_BYTES;
    if (fits) bytes += record.size;
    return fits;
  });
  let raws: Buffer[];
  try {
    raws = small.length > 0 ? await store.readMessages(small) : [];
  } catch {
    // A message of the batch expunged (its blobs released) meanwhile: each FETCH reads its own message as usual.
    return null;
  }
  const rawOf = new Map(small.map((record, i) => [record.uid, raws[i]!]));
  for (const record of records) state.loaded.set(record.uid, { record, raw: rawOf.get(record.uid) ?? null });
  // Another command may have changed the selection while the batch was read.
  if (state.selected !== session.selected) {
    state.loaded.clear();
    return null;
  }
  const own = state.loaded.get(uid) ?? null;
  state.loaded.delete(uid);
  return own;
}
