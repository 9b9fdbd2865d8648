import type { ListenAddress } from '@postern/config';
import type { MailstoreContext } from '../context.js';
import type { LineProtocol } from '../line-protocol/connection.js';
import { listenLineProtocol } from '../line-protocol/listener.js';
import type { ProtocolService, ServiceOptions } from '../service.js';
import { LineReader, type LineEvent } from './lines.js';
import { Pop3Session } from './session.js';

export interface Pop3ServerOptions extends ServiceOptions {
  /** RFC 1939 §3: the autologout timer must be at least 10 minutes; tests may shorten it. */
  idleTimeoutMs?: number;
  /** Longest command line in octets, CRLF included. */
  maxLineOctets?: number;
  maxBadCommands?: number;
}

const DEFAULTS = {
  idleTimeoutMs: 10 * 60_000,
  // RFC 2449 §4 caps commands at 255 octets; RFC 5034 §4 lifts that for AUTH responses, so allow long credentials.
  maxLineOctets: 2048,
  maxBadCommands: 20,
  maxQueuedLines: 100,
};

/** Listens for POP3 on one address: 110-style with STLS when TLS is configured, or 995-style implicit TLS (RFC 8314). */
export async function listenPop3(ctx: MailstoreContext, address: ListenAddress, options: Pop3ServerOptions): Promise<ProtocolService> {
  if (options.implicitTls && !ctx.tls) throw new Error('pop3s: implicit TLS needs [tls] cert and key');
  const maxLineOctets = options.maxLineOctets ?? DEFAULTS.maxLineOctets;
  const maxBadCommands = options.maxBadCommands ?? DEFAULTS.maxBadCommands;
  const protocol: LineProtocol<LineEvent, Pop3Session> = {
    name: 'pop3',
    implicitTls: options.implicitTls,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    createReader: () => new LineReader(maxLineOctets),
    createSession: (transport, log) => new Pop3Session(ctx, transport, log, { maxBadCommands, maxQueuedLines: DEFAULTS.maxQueuedLines }),
    greeting: () => '+OK Postern POP3 ready\r\n',
    // RFC 3206 §4: SYS/TEMP, a temporary condition on the server's side.
    refusal: (text) => `-ERR [SYS/TEMP] ${text}\r\n`,
    // RFC 1939 §3: the autologout timer ends the session without entering UPDATE.
    idleReply: '-ERR [SYS/TEMP] Disconnected for inactivity\r\n',
    // Server shutdown says goodbye without UPDATE.
    shutdownReply: '-ERR [SYS/TEMP] Server shutting down\r\n',
  };
  return listenLineProtocol(ctx, address, options.implicitTls ? 'pop3s' : 'pop3', protocol);
}
