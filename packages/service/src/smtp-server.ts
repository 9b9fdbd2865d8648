import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { SMTPConnection, SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';
import { inSession, type SessionScope } from './session-scope.js';

/** A reply text that already starts with an enhanced status code (RFC 3463 §2: class.subject.detail). */
export const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;

/**
 * smtp-server as Postern's SMTP and LMTP listeners run it:
 * - it greets at once, as Postfix's smtpd and Dovecot's LMTP do. The library
 *   waits 100 ms first to catch early talkers, which caps a client at ten
 *   connections a second; early talkers are still refused (421) until
 *   onConnect has finished.
 * - it never looks up client names itself: the library would use the system
 *   resolver, and every lookup goes through our one resolver (SPEC §4).
 * - replies leave at once (TCP_NODELAY).
 * - every command (and the hooks it calls) runs in the session's scope, so the
 *   process-level policy can close just this session after an escaped error.
 * - a reply text that starts with its own enhanced status code (RFC 3463,
 *   e.g. "5.4.6 …") is sent as it is; the library would put its guess in front.
 * `attach` runs on each new connection before its greeting, for hooks.
 */
export class PromptSMTPServer extends SMTPServer {
  constructor(
    options: Omit<SMTPServerOptions, 'disableReverseLookup' | 'resolver'>,
    private readonly attach: (connection: SMTPConnection) => void = () => undefined,
    /** The service name in log lines: smtp, submission, submissions or lmtp. */
    private readonly service: string = options.lmtp ? 'lmtp' : 'smtp',
  ) {
    super({ ...options, disableReverseLookup: true });
  }

  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    // Replies are small and each waits for the client's next command: Nagle's algorithm would hold them back.
    socket.setNoDelay(true);
    const scope: SessionScope = { service: this.service, session: '', client: socket.remoteAddress ?? '', close: () => socket.destroy() };
    inSession(scope, () => super.connect(socket, socketOptions));
    // The library just added the connection (last in insertion order); its greeting is still 100 ms away.
    let newest: SMTPConnection | undefined;
    for (const connection of this.connections) newest = connection;
    if (!newest) return;
    const connection = newest;
    scope.session = connection.id;
    // After STARTTLS the connection reads from its TLS socket.
    scope.close = () => connection._socket.destroy();
    const send = connection.send.bind(connection);
    connection.send = (code, data, context) => send(code, data, typeof data === 'string' && ENHANCED_PREFIX.test(data) ? false : context);
    const onCommand = connection._onCommand.bind(connection);
    connection._onCommand = (command, callback) => inSession(scope, () => onCommand(command, callback));
    inSession(scope, () => {
      this.attach(connection);
      // The library's timer calls connectionReady() later and finds nothing to do.
      const ready = connection.connectionReady.bind(connection);
      connection.connectionReady = () => undefined;
      ready();
    });
  }
}
