// The APPEND command with MULTIAPPEND (RFC 3502) and CATENATE (RFC 4469): one or more messages, each with its own flags and date-time.
import type { AppendedMessage } from './append.js';
import { MAX_CATENATE_PARTS, parseCatenate } from './catenate.js';
import { nodeText as text, nodeWord } from './command-args.js';
import { imapTools, type CommandHandler, type CommandNode, type HookCallback, type ImapSession } from './imap-core.js';
import { uidSet } from './uid-sets.js';

type Node = Exclude<CommandNode, null>;

function isList(node: CommandNode | undefined): node is CommandNode[] {
  return Array.isArray(node);
}

function isLiteral(node: CommandNode | undefined): node is Exclude<Node, CommandNode[]> {
  return !!node && !isList(node) && node.type === 'LITERAL';
}

function literalBytes(node: Exclude<Node, CommandNode[]>): Buffer {
  // A zero-length literal {0} carries no value.
  if (node.value === undefined || node.value === null) return Buffer.alloc(0);
  return Buffer.isBuffer(node.value) ? node.value : Buffer.from(String(node.value), 'binary');
}

/** RFC 3501 §6.3.11 flag-list: system flags in their canonical case, keywords as given, each once. */
function appendFlags(list: CommandNode[]): string[] {
  const flags = new Set<string>();
  for (const node of list) {
    const flag = text(node);
    if (!flag) throw new Error('Invalid flag in APPEND');
    if (flag.startsWith('\\')) {
      if (!imapTools.systemFlags.includes(flag.toLowerCase())) throw new Error('Invalid system flag argument for APPEND');
      flags.add(flag.toLowerCase().replace(/^\\./, (c) => c.toUpperCase()));
    } else flags.add(flag);
  }
  return [...flags];
}

function appendDate(value: string): Date {
  if (!imapTools.validateInternalDate(value)) throw new Error('Invalid date argument for APPEND');
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date.getTime() <= 1000) throw new Error('Invalid date-time argument for APPEND');
  return date;
}

/**
 * RFC 3502 §6.3.11: `APPEND mailbox 1*(SP [flag-list SP] [date-time SP] literal)`;
 * RFC 6855 §4: a message may also come as `UTF8 (literal8)`; RFC 3516 §4.4: `~{n}` literal8;
 * RFC 4469 §5: or as `CATENATE (cat-part *(SP cat-part))`.
 * A malformed command throws (a BAD); nothing has been stored then.
 */
export function parseAppend(attributes: CommandNode[]): { path: string; messages: AppendedMessage[] } {
  const path = text(attributes[0]);
  if (!path) throw new Error('Invalid mailbox argument for APPEND');
  const messages: AppendedMessage[] = [];
  let catenated = 0;
  let i = 1;
  while (i < attributes.length) {
    let flags: string[] = [];
    let internalDate: Date | null = null;
    const first = attributes[i];
    if (isList(first)) {
      flags = appendFlags(first);
      i++;
    }
    const next = attributes[i];
    if (next && !isList(next) && next.type === 'STRING') {
      internalDate = appendDate(text(next) ?? '');
      i++;
    }
    let message = attributes[i];
    const utf8 = attributes[i + 1];
    if (message && !isList(message) && message.type === 'ATOM' && nodeWord(message) === 'CATENATE') {
      const parts = attributes[i + 1];
      if (!isList(parts)) throw new Error('CATENATE takes a parenthesized list of parts');
      const data = parseCatenate(parts);
      catenated += data.length;
      if (catenated > MAX_CATENATE_PARTS) throw new Error(`Too many CATENATE parts (at most ${MAX_CATENATE_PARTS} in one command)`);
      messages.push({ data, flags, internalDate });
      i += 2;
      continue;
    }
    if (message && !isList(message) && message.type === 'ATOM' && String(message.value).toUpperCase() === 'UTF8' && isList(utf8) && utf8.length === 1) {
      message = utf8[0];
      i++;
    }
    if (!isLiteral(message)) throw new Error('Invalid message argument for APPEND');
    messages.push({ data: literalBytes(message), flags, internalDate });
    i++;
  }
  if (messages.length === 0) throw new Error('Invalid message argument for APPEND');
  return { path, messages };
}

/** The APPEND command: parses, then hands every message to the onAppend hook in one call. */
export const appendCommand: CommandHandler = {
  state: ['Authenticated', 'Selected'],
  // The number of messages is open (RFC 3502), so the arguments are checked here, not by a fixed schema.
  schema: false,
  handler(command, callback) {
    let request: { path: string; messages: AppendedMessage[] };
    try {
      request = parseAppend(command.attributes);
    } catch (err) {
      return callback(err as Error);
    }
    const path = imapTools.normalizeMailbox(Buffer.from(request.path, 'binary').toString(), !this.acceptUTF8Enabled);
    const onAppend = this._server.onAppend as (path: string, messages: AppendedMessage[], session: ImapSession, done: HookCallback) => void;
    onAppend(path, request.messages, this.session, (err, success, info) => {
      if (err) return callback(null, { response: 'NO', code: (err as Error & { code?: string }).code ?? 'TEMPFAIL', message: err.message });
      if (success !== true) return callback(null, { response: 'NO', code: String(success).toUpperCase() });
      const { uidValidity, uids } = info as { uidValidity: number; uids: number[] };
      // RFC 4315 §3: APPENDUID names the UIDs of every appended message, in order, as a uid-set.
      callback(null, { response: 'OK', code: `APPENDUID ${uidValidity} ${uidSet(uids)}`, message: 'APPEND completed' });
    });
  },
};
