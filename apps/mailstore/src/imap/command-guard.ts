// Every IMAP command runs inside its session's scope, and a command handler that throws is answered, not fatal.
import type { Logger } from '@postern/log';
import { inSession, type SessionScope } from '@postern/service';
import type { ImapConnection } from './imap-core.js';

interface CommandLine {
  value: string;
  final: boolean;
}

type OnCommand = (command: CommandLine, callback?: (...args: unknown[]) => void) => void;

/**
 * imap-core runs a command's handler synchronously inside the socket's data
 * callback, so a handler's TypeError (a NIL or a literal where it expects a
 * string) would escape to the process. Here each line is handled inside the
 * session's scope (for the process-level policy), and a throw becomes one log
 * line and a tagged BAD (RFC 3501 §7.1.3: the command was not acceptable),
 * after which the connection reads the next command.
 */
export function guardCommands(connection: ImapConnection, logger: Logger, client: string): void {
  const parser = connection._parser as (ImapConnection['_parser'] & { oncommand: OnCommand }) | false;
  if (!parser) return;
  const scope: SessionScope = { service: 'imap', session: connection.id, client, close: () => connection.close(true) };
  const write = parser._write.bind(parser);
  parser._write = (chunk, encoding, done) => inSession(scope, () => write(chunk, encoding, done));
  const onCommand = parser.oncommand;
  parser.oncommand = (command, callback) => {
    const pending = connection._currentCommand;
    let continued = false;
    const next = (...args: unknown[]): void => {
      continued = true;
      callback?.(...args);
    };
    try {
      onCommand(command, next);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      const words = /^(\S+)(?:\s+((?:UID\s+)?\S+))?/i.exec(typeof command.value === 'string' ? command.value : '') ?? [];
      const tag = pending ? pending.tag : words[1];
      const name = (pending ? pending.command : words[2])?.toUpperCase().slice(0, 32);
      logger.error({ service: 'imap', session: connection.id, client, user: connection.session?.user?.username, command: name, err }, `imap ${name ?? 'command'} failed: ${err.message}`);
      connection._currentCommand = false;
      connection.send(`${tag && /^[\x21-\x7e]{1,64}$/.test(tag) && !connection._nextHandler ? tag : '*'} BAD Command failed`);
      if (!continued) next(command.final ? null : err);
    }
  };
}
