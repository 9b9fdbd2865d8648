// Guards for what imap-core's connection handling leaves open: endless lines, STARTTLS injection, IDLE timers of dead connections.
import type { ImapConnection } from './imap-core.js';

/** Longest command line (outside literals) before the client is disconnected. */
export const MAX_LINE_BYTES = 1024 * 1024;

interface ParsedLine {
  value: string;
  final: boolean;
}

type OnCommand = (command: ParsedLine, callback?: (error?: Error | null) => void) => void;

/**
 * imap-core keeps reading a line until its end; a client that never sends one
 * would grow the buffer without limit, so an overlong line ends the connection.
 */
export function limitLineLength(connection: ImapConnection): void {
  const parser = connection._parser;
  if (!parser) return;
  const write = parser._write.bind(parser);
  parser._write = (chunk: Buffer, encoding, done) => {
    if (parser._expecting === 0 && parser._remainder.length + chunk.length > MAX_LINE_BYTES && !chunk.includes(0x0a)) {
      connection.send('* BYE Command line too long');
      connection.close(true);
      return done();
    }
    write(chunk, encoding, done);
  };
}

/**
 * RFC 3501 §6.2.1 / RFC 2595 §3.1: nothing the client pipelined after STARTTLS
 * in cleartext may run once TLS is up (CVE-2011-0411-style injection), so such
 * lines are dropped until the handshake ends. Without a certificate STARTTLS
 * is refused (imap-core would otherwise fall back to WildDuck's bundled test key).
 */
export function guardStartTls(connection: ImapConnection, tlsAvailable: boolean): void {
  const parser = connection._parser as (ImapConnection['_parser'] & { oncommand: OnCommand }) | false;
  if (!parser) return;
  const onCommand = parser.oncommand;
  let discarding = false;
  parser.oncommand = (command, callback) => {
    if (discarding) {
      if (!connection.secure) {
        // A cleartext line (or literal) sent after STARTTLS: answered by nothing, run by nobody.
        return callback?.(command.final ? null : new Error('discarded after STARTTLS'));
      }
      discarding = false;
    }
    const match = command.final ? /^(\S+)\s+STARTTLS\s*$/i.exec(command.value) : null;
    if (match && !connection.secure) {
      if (!tlsAvailable) {
        connection.send(`${match[1]} BAD STARTTLS is not available on this server`);
        return callback?.();
      }
      discarding = true;
    }
    return onCommand(command, callback);
  };
  // The first TLS bytes must not be glued to a cleartext fragment left in the parser.
  const write = parser._write.bind(parser);
  parser._write = (chunk: Buffer, encoding, done) => {
    if (discarding && connection.secure) {
      parser._remainder = '';
      discarding = false;
    }
    write(chunk, encoding, done);
  };
}

/**
 * imap-core's IDLE arms a 30-minute timer that only DONE clears; a client that
 * drops the connection while idling would keep the dead connection in memory
 * until it fires. Ending the IDLE as if DONE had come releases it at once.
 */
export function endIdleOnClose(connection: ImapConnection): void {
  if (connection.idling && typeof connection._nextHandler === 'function') {
    try {
      connection._nextHandler('DONE', () => undefined);
    } catch {
      // The connection is gone either way; the timer is what mattered.
    }
  }
}
