import type { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { SmtpReply, replies } from './replies.js';

/**
 * smtp-server (3.21.6) has no hook before HELO/EHLO, DATA, AUTH or VRFY and
 * does not count errors; these are the places Postfix's smtpd acts. The MTA
 * attaches to each new connection through the public members the library
 * declares in its types: `send`, `_onCommand` and the parser. Everything the
 * library does itself (syntax checks, STARTTLS, SASL exchanges, DATA
 * parsing) still runs unchanged after a gate lets a command through.
 */
export interface CommandGates {
  /** Before HELO/EHLO (helo restrictions when smtpd_delay_reject is off; the log line). */
  helo(connection: SMTPConnection, hostname: string, command: 'HELO' | 'EHLO'): Promise<SmtpReply | null>;
  /** Before DATA, once the envelope is complete (data restrictions). */
  data(connection: SMTPConnection): Promise<SmtpReply | null>;
  /** Whether AUTH may run now; a reply when not. */
  auth(connection: SMTPConnection): SmtpReply | null;
}

export interface HookOptions {
  hostname: string;
  /** smtpd_hard_error_limit. */
  hardErrorLimit: number;
  /** disable_vrfy_command. */
  disableVrfy: boolean;
  /** Called for a gate that failed unexpectedly (it answers 451 4.3.0). */
  onGateError(connection: SMTPConnection, err: unknown): void;
}

/** Bytes given to one parser and bytes it consumed as commands or DATA: what is left is unread input. */
interface InputCount {
  received: number;
  consumed: number;
}

const counts = new WeakMap<SMTPStream, InputCount>();

function countInput(parser: SMTPStream): void {
  const count: InputCount = { received: 0, consumed: 0 };
  counts.set(parser, count);
  const write = parser.write.bind(parser) as (chunk: Buffer, ...rest: unknown[]) => boolean;
  parser.write = ((chunk: Buffer, ...rest: unknown[]) => {
    count.received += chunk.length;
    return write(chunk, ...rest);
  }) as typeof parser.write;
  const endDataMode = parser._endDataMode.bind(parser);
  // The bytes after the final dot of DATA are the start of what the client pipelined behind it.
  parser._endDataMode = (chunk, remainder, callback) => {
    count.consumed = count.received - remainder.length;
    endDataMode(chunk, remainder, callback);
  };
}

/**
 * Input the client sent that the server has not read yet, at the command
 * being handled: Postfix's reject_unauth_pipelining looks at the same
 * ("commands sent ahead of time"). Lines are counted as ending in CRLF, so a
 * client using bare LF may look up to one byte per line less eager than it is.
 */
export function unreadInput(connection: SMTPConnection): number {
  const parser = connection._parser;
  const count = parser ? counts.get(parser) : undefined;
  return count ? Math.max(0, count.received - count.consumed) : 0;
}

export function attachHooks(connection: SMTPConnection, gates: CommandGates, options: HookOptions): void {
  let errors = 0;

  const send = connection.send.bind(connection);
  connection.send = (code, data, context) => {
    // Replies with their own enhanced code are sent as they are by PromptSMTPServer.
    send(code, data, context);
    // smtpd_hard_error_limit: every 4xx/5xx counts; past the limit the client is dropped.
    if (code >= 400 && code !== 421 && ++errors === options.hardErrorLimit) {
      send(421, replies.tooManyErrors(options.hostname).message, false);
    }
  };

  if (connection._parser) countInput(connection._parser);
  const createParser = connection._createParser.bind(connection);
  // STARTTLS retires the plaintext parser (and what it held); the TLS session's parser is counted afresh.
  connection._createParser = () => {
    const parser = createParser();
    countInput(parser);
    return parser;
  };

  const onCommand = connection._onCommand.bind(connection);
  connection._onCommand = (command, callback) => {
    const parser = connection._parser;
    const count = parser ? counts.get(parser) : undefined;
    if (count) count.consumed = Math.min(count.received, count.consumed + command.length + 2);

    // AUTH continuation lines, plaintext after STARTTLS, early talkers and shutdown stay the library's.
    if (connection._nextHandler || connection._upgrading || !connection._ready || connection._closing || connection._server._closeTimeout) {
      return onCommand(command, callback);
    }
    const next = callback ?? (() => undefined);
    const answer = (reply: SmtpReply): void => {
      connection.send(reply.code, reply.message);
      connection._whenWritable(next);
    };
    const gate = (check: Promise<SmtpReply | null>): void => {
      // The idle timeout must not run while the server, not the client, is busy.
      connection._handlerPending = true;
      check.then(
        (reply) => {
          connection._handlerPending = false;
          if (connection._closing || connection._closed) return;
          if (reply) answer(reply);
          else onCommand(command, callback);
        },
        (err: unknown) => {
          connection._handlerPending = false;
          options.onGateError(connection, err);
          if (!connection._closing && !connection._closed) answer(replies.localError());
        },
      );
    };

    const words = command.toString('utf8').trim().split(/\s+/);
    const name = (words[0] ?? '').toUpperCase();
    switch (name) {
      case 'VRFY':
        if (options.disableVrfy) return answer(replies.vrfyDisabled());
        return onCommand(command, callback);
      case 'AUTH': {
        const refusal = gates.auth(connection);
        return refusal ? answer(refusal) : onCommand(command, callback);
      }
      case 'HELO':
      case 'EHLO':
        // A malformed HELO gets the library's 501.
        if (words.length !== 2) return onCommand(command, callback);
        return gate(gates.helo(connection, words[1]!, name));
      case 'DATA': {
        const envelope = connection.session.envelope;
        // Out of sequence, the library answers 503.
        if (!connection.hostNameAppearsAs || !envelope.mailFrom || envelope.rcptTo.length === 0) return onCommand(command, callback);
        return gate(gates.data(connection));
      }
      default:
        return onCommand(command, callback);
    }
  };
}
