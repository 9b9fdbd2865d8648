import type { ListenAddress } from '@postern/config';
import type { MailstoreContext } from '../context.js';
import type { LineProtocol } from '../line-protocol/connection.js';
import { listenLineProtocol } from '../line-protocol/listener.js';
import type { ProtocolService, ServiceOptions } from '../service.js';
import { CommandReader, type LineEvent } from './parser.js';
import { response } from './responses.js';
import { ManageSieveSession } from './session.js';

export interface ManageSieveServerOptions extends ServiceOptions {
  idleTimeoutMs?: number;
  maxLineOctets?: number;
  maxBadCommands?: number;
}

const DEFAULTS = {
  // Dovecot's managesieve idle timeout is 30 minutes, as IMAP's autologout (RFC 9051 §5.4).
  idleTimeoutMs: 30 * 60_000,
  maxLineOctets: 8192,
  maxBadCommands: 20,
  maxQueuedLines: 100,
  maxArgs: 8,
};

/** Listens for ManageSieve (RFC 5804) on one address, with STARTTLS when TLS is configured. */
export async function listenManageSieve(ctx: MailstoreContext, address: ListenAddress, options: ManageSieveServerOptions): Promise<ProtocolService> {
  if (options.implicitTls) throw new Error('managesieve: RFC 5804 defines no implicit-TLS port; use STARTTLS');
  const maxLineOctets = options.maxLineOctets ?? DEFAULTS.maxLineOctets;
  const maxBadCommands = options.maxBadCommands ?? DEFAULTS.maxBadCommands;
  const protocol: LineProtocol<LineEvent, ManageSieveSession> = {
    name: 'managesieve',
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    // A literal holds a script (sieve.max_script_size) or a SASL response; anything larger is refused as it streams by.
    createReader: () => new CommandReader({ maxLineOctets, maxLiteralOctets: Math.max(ctx.config.sieve.max_script_size, 8192), maxArgs: DEFAULTS.maxArgs }),
    createSession: (transport, log) => new ManageSieveSession(ctx, transport, log, { maxBadCommands, maxQueuedLines: DEFAULTS.maxQueuedLines }),
    // RFC 5804 §1.7: the greeting is the capability list followed by OK.
    greeting: (session) => session.capabilities() + response('OK', 'Postern ManageSieve ready'),
    refusal: (text) => response('BYE', text, 'TRYLATER'),
    idleReply: response('BYE', 'Disconnected for inactivity'),
    shutdownReply: response('BYE', 'Server shutting down', 'TRYLATER'),
  };
  return listenLineProtocol(ctx, address, 'managesieve', protocol);
}
