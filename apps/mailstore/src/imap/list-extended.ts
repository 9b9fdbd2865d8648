// LIST-EXTENDED (RFC 5258) with LIST-STATUS (RFC 5819) and the SPECIAL-USE selection and return options (RFC 6154 §3).
import type { Mailbox } from '@postern/store';
import { nodeText, nodeWord as word } from './command-args.js';
import { imapHandler, imapTools, type CommandHandler, type CommandNode, type HookCallback, type ImapSession } from './imap-core.js';
import { isImap4rev2 } from './imap4rev2.js';
import { withStatusItems } from './status-size.js';

/** RFC 5258 §3.1 selection options (REMOTE is accepted: this server has no remote mailboxes). */
const SELECTION_OPTIONS = new Set(['SUBSCRIBED', 'REMOTE', 'RECURSIVEMATCH', 'SPECIAL-USE']);
/** RFC 5258 §3.2 return options, RFC 5819 STATUS and RFC 6154 SPECIAL-USE. */
const RETURN_OPTIONS = new Set(['SUBSCRIBED', 'CHILDREN', 'SPECIAL-USE', 'STATUS']);
/** RFC 5819 §2 / RFC 3501 §6.3.10 status items, by the field mailboxStatus gives each. */
const STATUS_ITEMS = new Map([
  ['MESSAGES', 'messages'],
  ['RECENT', 'recent'],
  ['UIDNEXT', 'uidNext'],
  ['UIDVALIDITY', 'uidValidity'],
  ['UNSEEN', 'unseen'],
  ['HIGHESTMODSEQ', 'highestModseq'],
  // RFC 9051 §6.3.11, RFC 8438 §3.
  ['SIZE', 'size'],
  ['DELETED', 'deleted'],
]);

export interface ListRequest {
  selection: Set<string>;
  returns: Set<string>;
  /** The status items asked for with RETURN (STATUS (…)), in the client's order. */
  status: string[];
  /** Reference and pattern joined and normalized, one per pattern. */
  patterns: string[];
}

/** One LIST response: a name, its attributes, and CHILDINFO (RFC 5258 §3.5) when RECURSIVEMATCH found it. */
export interface ListEntry {
  path: string;
  attributes: string[];
  childInfo: string[];
  mailbox: Mailbox | null;
}

/** A mailbox name or pattern (RFC 3501 §9 astring; NIL read as empty) as UTF-8 text. */
function astring(node: CommandNode | undefined): string | null {
  if (node === null) return '';
  const text = nodeText(node);
  return text === null ? null : Buffer.from(text, 'binary').toString();
}

/** True for the forms only LIST-EXTENDED has: selection options, several patterns, or RETURN. */
export function isExtendedList(attributes: CommandNode[]): boolean {
  return attributes.length !== 2 || attributes.some((node) => Array.isArray(node));
}

/**
 * RFC 5258 §6: `LIST [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]`.
 * An unknown option, a RECURSIVEMATCH without another selection option (§3.1)
 * or a malformed argument throws: BAD.
 */
export function parseListExtended(attributes: CommandNode[], utf7: boolean): ListRequest {
  const args = [...attributes];
  const selection = new Set<string>();
  if (Array.isArray(args[0])) {
    for (const node of args.shift() as CommandNode[]) {
      const option = word(node);
      if (!option || !SELECTION_OPTIONS.has(option)) throw new Error(`Unknown LIST selection option ${option ?? ''}`.trim());
      selection.add(option);
    }
  }
  if (selection.has('RECURSIVEMATCH') && ![...selection].some((option) => option !== 'RECURSIVEMATCH' && option !== 'REMOTE')) {
    throw new Error('RECURSIVEMATCH needs another selection option');
  }
  const reference = astring(args.shift());
  if (reference === null) throw new Error('Invalid reference argument for LIST');
  const patternNode = args.shift();
  const patternNodes = Array.isArray(patternNode) ? patternNode : [patternNode];
  if (patternNode === undefined || patternNodes.length === 0) throw new Error('LIST needs a mailbox pattern');
  const patterns = patternNodes.map((node) => {
    const pattern = astring(node);
    if (pattern === null) throw new Error('Invalid mailbox pattern for LIST');
    return imapTools.normalizeMailbox(reference + pattern, utf7);
  });
  const returns = new Set<string>();
  const status: string[] = [];
  if (args.length > 0) {
    if (word(args.shift()) !== 'RETURN' || !Array.isArray(args[0]) || args.length !== 1) throw new Error('Invalid RETURN options for LIST');
    const options = args.shift() as CommandNode[];
    for (let i = 0; i < options.length; i++) {
      const option = word(options[i]);
      if (!option || !RETURN_OPTIONS.has(option)) throw new Error(`Unknown LIST return option ${option ?? ''}`.trim());
      returns.add(option);
      if (option === 'STATUS') {
        const items = options[++i];
        if (!Array.isArray(items) || items.length === 0) throw new Error('RETURN STATUS needs a list of status items');
        for (const item of items) {
          const name = word(item);
          if (!name || !STATUS_ITEMS.has(name)) throw new Error(`Unknown STATUS item ${name ?? ''}`.trim());
          if (!status.includes(name)) status.push(name);
        }
      }
    }
  }
  // RFC 5258 §3.1: the SUBSCRIBED selection option implies the SUBSCRIBED return option.
  if (selection.has('SUBSCRIBED')) returns.add('SUBSCRIBED');
  return { selection, returns, status, patterns };
}

/** Whether a mailbox meets every selection criterion (RFC 5258 §3.1: the options combine with AND). */
function selected(mailbox: Mailbox | null, selection: Set<string>): boolean {
  if (selection.has('SUBSCRIBED') && !mailbox?.subscribed) return false;
  if (selection.has('SPECIAL-USE') && !mailbox?.specialUse) return false;
  return true;
}

/** The LIST responses for a request over the user's mailboxes, in name order with INBOX first. */
export function listEntries(mailboxes: Mailbox[], request: ListRequest): ListEntry[] {
  const byPath = new Map(mailboxes.map((mailbox) => [mailbox.path, mailbox]));
  // Hierarchy levels above a mailbox that are not mailboxes themselves.
  const names = new Set(byPath.keys());
  for (const path of byPath.keys()) {
    const levels = path.split('/');
    for (let depth = 1; depth < levels.length; depth++) names.add(levels.slice(0, depth).join('/'));
  }
  const sorted = [...names].sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const matching = new Set(request.patterns.flatMap((pattern) => imapTools.filterFolders(sorted.map((path) => ({ path })), pattern).map((entry) => entry.path)));
  const filtering = [...request.selection].some((option) => option !== 'REMOTE' && option !== 'RECURSIVEMATCH');
  const criteria = [...request.selection].filter((option) => option === 'SUBSCRIBED' || option === 'SPECIAL-USE');
  const entries: ListEntry[] = [];
  for (const path of sorted) {
    if (!matching.has(path)) continue;
    const mailbox = byPath.get(path) ?? null;
    const descendants = sorted.filter((other) => other.startsWith(`${path}/`));
    const selectedChild = request.selection.has('RECURSIVEMATCH') && descendants.some((other) => byPath.has(other) && selected(byPath.get(other) ?? null, request.selection));
    const itself = !filtering || (mailbox !== null && selected(mailbox, request.selection));
    if (!itself && !selectedChild) continue;
    const attributes: string[] = [];
    // RFC 5258 §3.4: a name that is no mailbox is \NonExistent (which implies \Noselect).
    if (!mailbox) attributes.push('\\NonExistent');
    if (request.returns.has('SUBSCRIBED') && mailbox?.subscribed) attributes.push('\\Subscribed');
    // RFC 5258 §4: \HasChildren / \HasNoChildren (sent whether or not CHILDREN was asked, as §4 allows).
    attributes.push(descendants.some((other) => byPath.has(other)) ? '\\HasChildren' : '\\HasNoChildren');
    // RFC 6154 §2: the special-use attribute (also without RETURN (SPECIAL-USE), as §2 allows).
    if (mailbox?.specialUse) attributes.push(mailbox.specialUse);
    // RFC 5258 §3.5: CHILDINFO names the criteria a descendant meets, only with RECURSIVEMATCH.
    entries.push({ path, attributes, childInfo: selectedChild ? criteria : [], mailbox });
  }
  return entries;
}

function clientName(path: string, utf8: boolean): string | Buffer {
  return utf8 ? Buffer.from(path) : imapTools.utf7encode(path);
}

export function listLine(entry: ListEntry, utf8: boolean): string {
  const attributes: unknown[] = [entry.attributes.map((value) => ({ type: 'ATOM', value })), '/', clientName(entry.path, utf8)];
  if (entry.childInfo.length > 0) {
    attributes.push([{ type: 'STRING', value: 'CHILDINFO' }, entry.childInfo.map((value) => ({ type: 'STRING', value }))]);
  }
  return imapHandler.compiler({ tag: '*', command: 'LIST', attributes });
}

function statusLine(path: string, items: string[], values: Record<string, number>, utf8: boolean): string {
  const pairs = items.flatMap((item) => [
    { type: 'ATOM', value: item },
    { type: 'ATOM', value: String(values[STATUS_ITEMS.get(item)!] ?? 0) },
  ]);
  return imapHandler.compiler({ tag: '*', command: 'STATUS', attributes: [clientName(path, utf8), pairs] });
}

type Hook<T extends unknown[]> = (...args: [...T, ImapSession, HookCallback]) => void;

function callHook<T extends unknown[]>(hook: unknown, ...args: [...T, ImapSession]): Promise<unknown[]> {
  return new Promise((resolve, reject) => (hook as Hook<T>)(...args, (err, ...results) => (err ? reject(err) : resolve(results))));
}

/** LIST: the basic RFC 3501 form goes to imap-core's own handler; the extended forms are answered here. */
export function listExtendedCommand(basic: CommandHandler): CommandHandler {
  return {
    state: ['Authenticated', 'Selected'],
    schema: false,
    handler(command, callback) {
      // RFC 9051 §6.3.9: an IMAP4rev2 session's LIST gives \NonExistent and the child attributes, as the extended form does.
      // RFC 3501 §6.3.8: the delimiter request is answered here for every session, with the empty root name of its example.
      const asksDelimiter = command.attributes.length === 2 && astring(command.attributes[1]) === '';
      if (!isExtendedList(command.attributes) && !isImap4rev2(this.session) && !asksDelimiter) return basic.handler.call(this, command, callback);
      const utf8 = !!this.acceptUTF8Enabled;
      let request: ListRequest;
      try {
        request = parseListExtended(command.attributes, !utf8);
      } catch (err) {
        return callback(err as Error);
      }
      // RFC 3501 §6.3.8: an empty name asks for the hierarchy delimiter (RFC 5258 §3 keeps it for a single pattern).
      if (request.patterns.length === 1 && request.patterns[0] === '') {
        this.send(imapHandler.compiler({ tag: '*', command: 'LIST', attributes: [[{ type: 'ATOM', value: '\\Noselect' }], '/', ''] }));
        return callback(null, { response: 'OK', message: 'LIST completed' });
      }
      const session = this.session;
      const run = async (): Promise<void> => {
        const [mailboxes] = (await callHook(this._server.onListMailboxes, session)) as [Mailbox[]];
        for (const entry of listEntries(mailboxes, request)) {
          this.send(listLine(entry, utf8));
          // RFC 5819 §2: STATUS follows the mailbox's LIST response, and only for a selectable mailbox.
          if (request.status.length > 0 && entry.mailbox) {
            const [values] = (await withStatusItems(session, request.status, () => callHook(this._server.onStatus, entry.path, session))) as [Record<string, number> | string];
            if (typeof values === 'object') this.send(statusLine(entry.path, request.status, values, utf8));
          }
        }
      };
      run().then(
        () => callback(null, { response: 'OK', message: 'LIST completed' }),
        (err: Error & { code?: string }) => callback(null, { response: 'NO', code: err.code ?? 'TEMPFAIL', message: err.message }),
      );
    },
  };
}
