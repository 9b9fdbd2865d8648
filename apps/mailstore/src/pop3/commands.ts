import { decodePlainResponse } from '@postern/service';
import type { LineEvent } from './lines.js';
import type { MaildropMessage } from './maildrop.js';
import { encodeMultiline, topOfMessage } from './multiline.js';
import type { Pop3Session, Pop3State } from './session.js';

/** A command's work; `args` are the space-separated arguments, `rest` the line after the keyword (a password may hold spaces). */
type Handler = (session: Pop3Session, args: string[], rest: string) => Promise<void>;

interface Command {
  /** RFC 1939: the states in which the command is valid. */
  states: readonly Pop3State[];
  run: Handler;
}

const AUTHORIZATION: readonly Pop3State[] = ['authorization'];
const TRANSACTION: readonly Pop3State[] = ['transaction'];
const ANY: readonly Pop3State[] = ['authorization', 'transaction'];

const CLEARTEXT_REFUSED = 'Plaintext authentication is disallowed without TLS; use STLS first';
const NUMBER = /^[0-9]{1,10}$/;

/** RFC 2449 §5 CAPA: what this server offers in the session's current state. */
async function capa(session: Pop3Session): Promise<void> {
  const lines = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
  if (session.state === 'authorization' && session.loginAllowed) lines.push('USER', 'SASL PLAIN');
  // RFC 2595 §4: STLS only in AUTHORIZATION, and only while not yet under TLS.
  if (session.state === 'authorization' && session.transport.canStartTls) lines.push('STLS');
  lines.push('IMPLEMENTATION Postern');
  await session.multilineText('Capability list follows', lines);
}

async function stls(session: Pop3Session): Promise<void> {
  if (session.transport.secure) return session.err('Already under TLS');
  if (!session.transport.canStartTls) return session.err('TLS is not available');
  await session.startTls();
}

async function user(session: Pop3Session, args: string[], rest: string): Promise<void> {
  if (!session.loginAllowed) return session.err(CLEARTEXT_REFUSED, 'SYS/PERM');
  if (args.length !== 1) return session.badCommand('Syntax: USER name');
  session.pendingUser = rest;
  await session.ok('Send your password');
}

async function pass(session: Pop3Session, _args: string[], rest: string): Promise<void> {
  if (!session.loginAllowed) return session.err(CLEARTEXT_REFUSED, 'SYS/PERM');
  const username = session.pendingUser;
  session.pendingUser = null;
  if (username === null) return session.badCommand('Send USER first');
  if (rest === '') return session.badCommand('Syntax: PASS password');
  await session.authenticate({ mechanism: 'USER', authzid: '', username, password: rest });
}

/** RFC 5034: AUTH PLAIN with an initial response, or with a "+ " continuation; AUTH alone lists the mechanisms. */
async function auth(session: Pop3Session, args: string[]): Promise<void> {
  const [mechanism, initial, ...extra] = args;
  if (mechanism === undefined) return session.multilineText('Supported mechanisms follow', ['PLAIN']);
  if (mechanism.toUpperCase() !== 'PLAIN') return session.err('Unsupported authentication mechanism');
  if (extra.length > 0) return session.badCommand('Syntax: AUTH PLAIN [initial-response]');
  if (!session.loginAllowed) return session.err(CLEARTEXT_REFUSED, 'SYS/PERM');
  // RFC 5034 §4: "=" is an empty initial response.
  if (initial !== undefined) return plainResponse(session, initial === '=' ? '' : initial);
  session.expectContinuation(async (event: LineEvent) => {
    if (event.kind === 'overlong') return session.badCommand('Authentication response too long', 'AUTH');
    // RFC 5034 §4: "*" cancels the exchange.
    if (event.text === '*') return session.err('Authentication cancelled');
    return plainResponse(session, event.text);
  });
  await session.transport.write('+ \r\n');
}

async function plainResponse(session: Pop3Session, response: string): Promise<void> {
  const credentials = decodePlainResponse(response);
  if (!credentials) return session.badCommand('Invalid SASL PLAIN response');
  await session.authenticate({ mechanism: 'PLAIN', ...credentials });
}

/** Looks up the message-number argument; replies -ERR (RFC 1939 §5) and returns null when it names no present message. */
async function messageArgument(session: Pop3Session, arg: string): Promise<MaildropMessage | null> {
  const maildrop = session.maildrop!;
  if (!NUMBER.test(arg)) {
    await session.err('Invalid message number');
    return null;
  }
  const message = maildrop.message(Number(arg));
  if (!message) {
    await session.err(`No such message, only ${maildrop.highestNumber} messages in maildrop`);
    return null;
  }
  if (message.deleted) {
    await session.err(`Message ${message.number} already deleted`);
    return null;
  }
  return message;
}

async function stat(session: Pop3Session, args: string[]): Promise<void> {
  if (args.length > 0) return session.badCommand('Syntax: STAT');
  const { count, octets } = session.maildrop!.stat();
  await session.ok(`${count} ${octets}`);
}

/** LIST and UIDL share their shape: one message, or every message not deleted (RFC 1939 §5, §7). */
function listing(describe: (message: MaildropMessage) => string | number): Handler {
  return async (session, args) => {
    if (args.length > 1) return session.badCommand('Syntax: LIST [msg] or UIDL [msg]');
    const maildrop = session.maildrop!;
    if (args[0] !== undefined) {
      const message = await messageArgument(session, args[0]);
      if (message) await session.ok(`${message.number} ${describe(message)}`);
      return;
    }
    const { count, octets } = maildrop.stat();
    await session.multilineText(`${count} messages (${octets} octets)`, maildrop.present().map((message) => `${message.number} ${describe(message)}`));
  };
}

async function retr(session: Pop3Session, args: string[]): Promise<void> {
  if (args.length !== 1) return session.badCommand('Syntax: RETR msg');
  const message = await messageArgument(session, args[0]!);
  if (!message) return;
  const data = await session.maildrop!.read(message);
  if (!data) return session.err(`Message ${message.number} was removed by another session`);
  await session.multiline(`${message.size} octets`, encodeMultiline(data));
}

async function top(session: Pop3Session, args: string[]): Promise<void> {
  if (args.length !== 2) return session.badCommand('Syntax: TOP msg lines');
  const message = await messageArgument(session, args[0]!);
  if (!message) return;
  if (!NUMBER.test(args[1]!)) return session.err('Invalid number of lines');
  const data = await session.maildrop!.read(message);
  if (!data) return session.err(`Message ${message.number} was removed by another session`);
  await session.multiline('Top of message follows', encodeMultiline(topOfMessage(data, Number(args[1]))));
}

async function dele(session: Pop3Session, args: string[]): Promise<void> {
  if (args.length !== 1) return session.badCommand('Syntax: DELE msg');
  const message = await messageArgument(session, args[0]!);
  if (!message) return;
  session.maildrop!.delete(message);
  await session.ok(`Message ${message.number} deleted`);
}

async function rset(session: Pop3Session, args: string[]): Promise<void> {
  if (args.length > 0) return session.badCommand('Syntax: RSET');
  session.maildrop!.reset();
  const { count, octets } = session.maildrop!.stat();
  await session.ok(`Maildrop has ${count} messages (${octets} octets)`);
}

async function noop(session: Pop3Session, args: string[]): Promise<void> {
  if (args.length > 0) return session.badCommand('Syntax: NOOP');
  await session.ok();
}

async function quit(session: Pop3Session): Promise<void> {
  await session.quit();
}

/** Every command by keyword (RFC 1939 §4-§7, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH). */
export const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['CAPA', { states: ANY, run: capa }],
  ['STLS', { states: AUTHORIZATION, run: stls }],
  ['USER', { states: AUTHORIZATION, run: user }],
  ['PASS', { states: AUTHORIZATION, run: pass }],
  ['AUTH', { states: AUTHORIZATION, run: auth }],
  ['STAT', { states: TRANSACTION, run: stat }],
  ['LIST', { states: TRANSACTION, run: listing((message) => message.size) }],
  ['UIDL', { states: TRANSACTION, run: listing((message) => message.uniqueId) }],
  ['RETR', { states: TRANSACTION, run: retr }],
  ['TOP', { states: TRANSACTION, run: top }],
  ['DELE', { states: TRANSACTION, run: dele }],
  ['RSET', { states: TRANSACTION, run: rset }],
  ['NOOP', { states: TRANSACTION, run: noop }],
  ['QUIT', { states: ANY, run: quit }],
]);
