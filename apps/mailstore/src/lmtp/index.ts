import { describeAddress, InFlight, listenOn, PromptSMTPServer } from '@postern/service';
import type { StartService } from '../service.js';
import { replies } from './replies.js';
import { lmtpHandlers } from './session.js';

// How long shutdown waits for a client still sending a message before smtp-server drops it.
const CLOSE_GRACE_MS = 30_000;

/**
 * LMTP (RFC 2033) delivery into the store: the MTA's `virtual_transport`.
 * No AUTH and no TLS: LMTP belongs on loopback or a unix socket, so it is
 * also outside the per-IP connection limits (the MTA opens as many sessions
 * as it has delivery agents). Its clients are our MTA or Postfix, never early
 * talkers: it greets at once.
 */
export const startLmtp: StartService = async (ctx, address, options) => {
  if (options.implicitTls) throw new Error('LMTP has no TLS listener: keep it on loopback or a unix socket');
  const inFlight = new InFlight();
  let closing = false;
  const server = new PromptSMTPServer({
    lmtp: true,
    name: ctx.config.hostname,
    // LHLO offers PIPELINING, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES and SIZE (RFC 2033 §5: PIPELINING and ENHANCEDSTATUSCODES are required).
    size: ctx.config.smtpd.message_size_limit,
    rejectOversized: true,
    maxRecipients: ctx.config.smtpd.recipient_limit,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    // Postfix XFORWARD (IDENT: the client's queue id, the delivery identity; see session.ts). LMTP trusts every
    // client that can reach it (loopback or a unix socket), so XFORWARD is trusted from the same clients; the MTA's
    // public listeners never enable it.
    useXForward: true,
    closeTimeout: CLOSE_GRACE_MS,
    logger: false,
    ...lmtpHandlers(ctx, { closing: () => closing, inFlight }),
  });
  // Socket errors of one session (a client resetting the connection): logged, the session is gone.
  server.on('error', (err: NodeJS.ErrnoException & { remoteAddress?: string }) => {
    ctx.logger.info({ service: 'lmtp', client: err.remoteAddress, code: err.code }, `lmtp connection error: ${err.message}`);
  });
  const bound = await listenOn(server.server, address, 'lmtp');

  let closed: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    closing = true;
    // Stop accepting; the callback runs once every session is gone (or after the grace period).
    const stopped = new Promise<void>((resolve) => server.close(resolve));
    const shutDownIdle = (): void => {
      for (const connection of [...server.connections]) {
        if (!inFlight.has(connection.id)) connection.send(421, replies.shuttingDown().message);
      }
    };
    // Idle sessions go now; a session inside DATA gets its replies first (the message is durable or refused), then 421.
    shutDownIdle();
    await inFlight.idle();
    shutDownIdle();
    await stopped;
  };

  return {
    description: `lmtp on ${describeAddress(bound)}`,
    address: bound,
    close: () => (closed ??= close()),
  };
};
