import type { ListenAddress } from '@postern/config';
import { describeAddress, listenOn, PromptSMTPServer } from '@postern/service';
import type { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { reserveRoom } from './admission.js';
import { AUTH_METHODS, authRefusal, onAuth } from './auth.js';
import { attachHooks, unreadInput, type CommandGates } from './connection-hooks.js';
import { heloCheck, onClose, onConnect, onSecure } from './connection.js';
import type { MtaContext } from './context.js';
import { dataCommandCheck, onData } from './data.js';
import { onMailFrom, onRcptTo } from './envelope.js';
import { replies } from './replies.js';
import { initSession, type SmtpService } from './session.js';

/** One SMTP listener on one address. */
export interface SmtpListener {
  /** e.g. `submission on 0.0.0.0:587`. */
  readonly description: string;
  /** Stops accepting, lets messages being received finish, then says 421 to every session. */
  close(): Promise<void>;
}

// How long shutdown waits for a client still sending a message before smtp-server drops it.
const CLOSE_GRACE_MS = 30_000;
// RFC 5321 §4.5.3.1.4 allows 512 octets per command line; AUTH PLAIN initial responses need more (RFC 4954 §4: 12288).
const MAX_COMMAND_LENGTH = 12_288;

/** smtpd_banner with $myhostname replaced (the guides' "$myhostname ESMTP": no version). */
function bannerText(ctx: MtaContext): string {
  return ctx.config.smtpd.banner.replaceAll('$myhostname', ctx.config.hostname);
}

export async function startListener(ctx: MtaContext, service: SmtpService, address: Extract<ListenAddress, { kind: 'tcp' }>): Promise<SmtpListener> {
  const { config } = ctx;
  const implicitTls = service === 'submissions';
  if (implicitTls && !ctx.tls) throw new Error('listen.submissions: implicit TLS needs [tls] cert and key');
  const starttlsOffered = !implicitTls && ctx.tls !== null && config.smtpd.tls_security_level !== 'none';
  const banner = bannerText(ctx);

  const gates: CommandGates = {
    helo: (connection, hostname, command) => heloCheck(ctx, connection.session, hostname, command),
    // The data restrictions first, then room for the message (admission.ts): no 354 before both.
    data: async (connection) => (await dataCommandCheck(ctx, connection.session, unreadInput(connection))) ?? (await reserveRoom(ctx, connection.session)),
    auth: (connection) => authRefusal(ctx, connection.session, starttlsOffered && !connection.secure),
  };
  const attach = (connection: SMTPConnection): void => {
    initSession(connection.session, service, () => unreadInput(connection));
    // The greeting is the configured banner as it is, like Postfix's smtpd_banner.
    connection._sendGreeting = () => connection.send(220, banner, false);
    attachHooks(connection, gates, {
      hostname: config.hostname,
      hardErrorLimit: config.smtpd.hard_error_limit,
      disableVrfy: config.smtpd.disable_vrfy_command,
      onGateError: (conn, err) => ctx.logger.error({ event: 'error', session: conn.id, client_ip: conn.remoteAddress, err }, `command check failed: ${String(err)}`),
    });
  };

  // Greets at once; client names are looked up through the injectable resolver at connect (client-name.ts).
  const server = new PromptSMTPServer(
    {
      name: config.hostname,
      heloResponse: '%s',
      secure: implicitTls,
      // Key, certificate, floor and SNICallback from the one provider (every SNI name, reloaded on renewal).
      ...(ctx.tls ? ctx.tls.serverOptions() : {}),
      hideSTARTTLS: !starttlsOffered,
      size: config.smtpd.message_size_limit,
      rejectOversized: true,
      maxRecipients: config.smtpd.recipient_limit,
      authMethods: AUTH_METHODS,
      // Submission requires AUTH (checked at MAIL FROM, see envelope.ts); port 25 takes mail without it.
      authOptional: true,
      // AUTH before TLS is refused by our gate when smtpd_tls_auth_only says so; the library's 538 is not used.
      allowInsecureAuth: true,
      hideENHANCEDSTATUSCODES: false,
      hidePIPELINING: false,
      hide8BITMIME: false,
      hideSMTPUTF8: false,
      // RFC 3461: NOTIFY/RET/ENVID/ORCPT go into the queue entry and its bounces.
      hideDSN: false,
      hideREQUIRETLS: true,
      socketTimeout: config.smtpd.timeout_seconds * 1000,
      closeTimeout: CLOSE_GRACE_MS,
      maxCommandLength: MAX_COMMAND_LENGTH,
      logger: false,
      onConnect: onConnect(ctx, starttlsOffered),
      onSecure: onSecure(ctx, starttlsOffered),
      onAuth: onAuth(ctx),
      onMailFrom: onMailFrom(ctx),
      onRcptTo: onRcptTo(ctx),
      onData: onData(ctx),
      onClose: onClose(ctx),
    },
    attach,
    service,
  );
  server.on('error', (err) => ctx.logger.warn({ service, err }, `${service}: ${err.message}`));
  const unfollowTls = ctx.tls?.keepUpdated(server);
  await listenOn(server.server, address, service);

  let closed: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    ctx.closing = true;
    unfollowTls?.();
    const stopped = new Promise<void>((resolve) => server.close(resolve));
    const sayGoodbye = (): void => {
      for (const connection of [...server.connections]) {
        if (!ctx.inFlight.has(connection.id)) connection.send(421, replies.shuttingDown(config.hostname).message);
      }
    };
    // Idle sessions go now; a session inside DATA gets its reply first, then 421.
    sayGoodbye();
    await ctx.inFlight.idle();
    sayGoodbye();
    await stopped;
  };

  return {
    description: `${service} on ${describeAddress(address)}`,
    close: () => (closed ??= close()),
  };
}
