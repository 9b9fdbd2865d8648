// WildDuck's imap-core (EUPL-1.2), loaded as a dependency and typed for the parts Postern uses.
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Server as NetServer, Socket } from 'node:net';
import type { Writable } from 'node:stream';

// Without this, requiring WildDuck loads its own config files (wild-config) from the working directory.
process.env.DISABLE_WILD_CONFIG = 'true';
const require = createRequire(import.meta.url);

/** A response as imap-core's compiler takes it. */
export interface ImapResponse {
  tag: string;
  command: string;
  attributes: unknown[];
}

/** What `session.selected` holds while a mailbox is selected (set by imap-core's SELECT). */
export interface SelectedMailbox {
  /** The `_id` onOpen returned: our MailboxId. */
  mailbox: string;
  /** UIDs in sequence-number order; imap-core keeps it in step with EXISTS/EXPUNGE it sends. */
  uidList: number[];
  /** The journal position this session has seen (RFC 7162 MODSEQ). */
  modifyIndex: number;
  notifications: unknown[];
  condstoreEnabled: boolean;
  readOnly: boolean;
  path: string;
}

export interface SessionUser {
  id: string;
  username: string;
}

/** imap-core's response composer: takes response objects, `{ compiled }` strings or streams. */
export type ImapWriteStream = Writable;

/** The session object imap-core passes to every hook. */
export interface ImapSession {
  id: string;
  remoteAddress: string;
  /** The client's name as imap-core logs it; `[address]` when it has none. */
  clientHostname?: string;
  selected: SelectedMailbox | false;
  /** Set by Postern's imap-core patch just before onOpen: true for EXAMINE (RFC 3501 §6.3.2). */
  examining?: boolean;
  user?: SessionUser;
  writeStream: ImapWriteStream;
  socket: Socket;
  formatResponse(command: 'FETCH' | 'EXPUNGE' | 'EXISTS', uid: number, data?: Record<string, unknown>): ImapResponse | false;
  isUTF8Enabled(): boolean;
}

/** One parsed FETCH data item (imap-core's commands/fetch.js builds these). */
export interface FetchQueryItem {
  query: string;
  /** Lower-case item name: uid, flags, body, rfc822.size, … (BODY.PEEK is already turned into body). */
  item: string;
  original: { type: string; value: string; section?: unknown[]; partial?: string[] };
  /** For BODY[section]: the part number ('' for the whole message). */
  path?: string;
  /** For BODY[section]: content, header, header.fields, header.fields.not, text or mime. */
  type?: string;
  headers?: string[];
  partial?: { startFrom: number; maxLength: number };
  isLiteral?: boolean;
  /** Sent as a literal8 `~{n}` (Postern's imap-core patch, RFC 3516 §4.2). */
  literal8?: boolean;
}

/** The connection object (internal to imap-core; used for limits that it does not offer). */
export interface ImapConnection {
  id: string;
  session: ImapSession;
  remoteAddress: string;
  clientHostname: string | false;
  secure: boolean;
  /** True while the client is in IDLE. */
  idling: boolean;
  /** imap-core's protocol state: Not Authenticated, Authenticated, Selected, Logout, Closed. */
  state: string;
  /** The client's socket (replaced by the TLS socket after STARTTLS). */
  _socket: Socket;
  /** imap-core's response composer, piped into the socket. */
  writeStream: ImapWriteStream;
  /** Set while a command (IDLE, AUTHENTICATE) waits for the client's next line. */
  _nextHandler: ((line: string, next: () => void) => void) | false;
  send(line: string): void;
  close(force?: boolean): void;
  /** Builds an untagged EXISTS/EXPUNGE/FETCH and keeps the UID list in step (EXISTS adds, EXPUNGE removes); false for a UID the session does not know. */
  formatResponse: ImapSession['formatResponse'];
  /** Sends the queued updates of the selected mailbox; EXPUNGEs wait when `holdExpunges` (Postern's patch, RFC 3501 §7.4.1). */
  emitNotifications(holdExpunges?: boolean): void;
  /** Called by the server once onConnect accepts: wires the socket up, then greets. */
  init(): void;
  _setListeners(): void;
  _parser: (Writable & { _remainder: string; _expecting: number; _write: Writable['_write'] }) | false;
  /** The command whose lines (and literals) are being read; false between commands. */
  _currentCommand: { tag?: string; command?: string } | false;
}

export type HookCallback = (error: Error | null, ...results: unknown[]) => void;

export interface ImapCoreServer extends EventEmitter {
  server: NetServer;
  connections: Set<ImapConnection>;
  notifier: unknown;
  connect(socket: Socket, socketOptions: { id: string; remoteAddress?: string; ignore?: boolean }): void;
  listen(...args: unknown[]): void;
  close(callback: () => void): void;
  /** Rebuilds the default context (the one served without SNI) from these options merged in. */
  updateSecureContext(options: Record<string, unknown>): void;
  onConnect?: (session: ImapSession, callback: (error?: Error | null) => void) => void;
  onClose?: (session: ImapSession, callback: () => void) => void;
  [hook: `on${string}`]: unknown;
}

export type ImapServerOptions = Record<string, unknown>;

export type ImapCoreServerConstructor = new (options: ImapServerOptions) => ImapCoreServer;

/** A node of the MIME tree imap-core's parser builds. */
export interface MimeTree {
  header: string[];
  parsedHeader: Record<string, unknown>;
  childNodes?: MimeTree[];
  /** The encapsulated message of a message/rfc822 part. */
  message?: MimeTree;
}

export interface Indexer {
  parseMimeTree(raw: Buffer): MimeTree;
  getBodyStructure(tree: MimeTree): unknown[];
  getBody(tree: MimeTree): unknown[];
  getMaildata(tree: MimeTree): { text: string; html: string[] };
}

const core = require('wildduck/imap-core') as {
  IMAPServer: ImapCoreServerConstructor;
  imapHandler: { compiler(response: ImapResponse | { attributes: unknown }, asArray?: boolean, isLogging?: boolean): string };
};

export const IMAPServer = core.IMAPServer;
export const imapHandler = core.imapHandler;

/** One node of a parsed command line: atoms, strings, literals and sequences; a list is an array; NIL is null. */
export type CommandNode = { type: string; value: string | Buffer } | CommandNode[] | null;

/** A command as imap-core's parser hands it to a command handler. */
export interface ParsedCommand {
  tag: string;
  command: string;
  attributes: CommandNode[];
}

/** What a command handler answers: a tagged OK/NO/BAD with an optional response code. */
export interface CommandResult {
  response: 'OK' | 'NO' | 'BAD';
  code?: string | false;
  message?: string;
}

/** A command handler runs with the connection as `this`. */
export interface CommandHandler {
  state: string | string[];
  schema: unknown[] | false;
  disableNotifications?: boolean;
  handler(this: ImapConnection & { _server: ImapCoreServer; acceptUTF8Enabled?: boolean; condstoreEnabled?: boolean; selected?: SelectedMailbox | false }, command: ParsedCommand, callback: (error: Error | null, result?: CommandResult) => void): void;
}

/** imap-core's command table (exported by Postern's patch, so that extensions can add or wrap commands). */
export const commandTable = (require('wildduck/imap-core/lib/imap-command.js') as { commands: Map<string, CommandHandler> }).commands;

/** imap-core's mailbox-name and FETCH helpers. */
export const imapTools = require('wildduck/imap-core/lib/imap-tools.js') as {
  normalizeMailbox(path: string, utf7Encoded: boolean): string;
  utf7encode(path: string): string;
  utf7decode(path: string): string;
  filterFolders<T extends { path: string }>(folders: T[], query: string): T[];
  validateInternalDate(date: string): boolean;
  systemFlags: string[];
  fetchSchema: Record<string, unknown>;
};

const IndexerClass = require('wildduck/imap-core/lib/indexer/indexer.js') as new (options?: Record<string, unknown>) => Indexer;

export function createIndexer(): Indexer {
  return new IndexerClass();
}

const wildduckErrors = require('wildduck/lib/errors.js') as {
  setGelf(handler: { emit(channel: string, message: Record<string, unknown>): void }): void;
};

/**
 * imap-core reports client protocol errors to WildDuck's Graylog sink, which
 * prints them to stderr by default; route them into our log at debug level.
 */
export function routeCoreNotices(log: (message: Record<string, unknown>) => void): void {
  wildduckErrors.setGelf({ emit: (_channel, message) => log(message) });
}
