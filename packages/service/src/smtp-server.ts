import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { SMTPConnection, SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';

/**
 * smtp-server as Postern's SMTP and LMTP listeners run it:
 * - it greets at once, as Postfix's smtpd and Dovecot's LMTP do. The library
 *   waits 100 ms first to catch early talkers, which caps a client at ten
 *   connections a second; early talkers are still refused (421) until
 *   onConnect has finished.
 * - it never looks up client names itself: the library would use the system
 *   resolver, and every lookup goes through our one resolver (SPEC §4).
 * - replies leave at once (TCP_NODELAY).
 * `attach` runs on each new connection before its greeting, for hooks.
 */
export class PromptSMTPServer extends SMTPServer {
  constructor(
    options: Omit<SMTPServerOptions, 'disableReverseLookup' | 'resolver'>,
    private readonly attach: (connection: SMTPConnection) => void = () => undefined,
  ) {
    super({ ...options, disableReverseLookup: true });
  }

  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    // Replies are small and each waits for the client's next command: Nagle's algorithm would hold them back.
    socket.setNoDelay(true);
    super.connect(socket, socketOptions);
    // The library just added the connection (last in insertion order); its greeting is still 100 ms away.
    let newest: SMTPConnection | undefined;
    for (const connection of this.connections) newest = connection;
    if (!newest) return;
    this.attach(newest);
    // The library's timer calls connectionReady() later and finds nothing to do.
    const ready = newest.connectionReady.bind(newest);
    newest.connectionReady = () => undefined;
    ready();
  }
}
