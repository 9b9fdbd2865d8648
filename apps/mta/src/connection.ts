import type { SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { connections, sessionsOpen } from '@postern/metrics';
import { releaseAdmission } from './admission.js';
import { authAllowed } from './auth.js';
import { lookupClientNames } from './client-name.js';
import type { MtaContext } from './context.js';
import { verdictReply } from './envelope.js';
import { logReject, logWarnings, sessionFields } from './maillog.js';
import { replies, type SmtpReply } from './replies.js';
import { clientLabel, sessionFacts, sessionState } from './session.js';

/** Commands no one gets (sendmail's WIZ/SHELL/KILL jokes in smtp-server). */
const NEVER = ['WIZ', 'SHELL', 'KILL'];

/**
 * smtp-server reads a per-session disabledCommands list: AUTH appears in
 * EHLO and works only where smtpd_tls_auth_only allows it, STARTTLS only
 * where TLS is configured.
 */
export function disabledCommands(ctx: MtaContext, session: SMTPServerSession, starttlsOffered: boolean): string[] {
  return [...NEVER, ...(starttlsOffered ? [] : ['STARTTLS']), ...(authAllowed(ctx, session) ? [] : ['AUTH'])];
}

/**
 * Connect: the per-service and per-client limits, banned clients on the submission ports, the
 * client's names (PTR, forward-confirmed), then client restrictions when
 * smtpd_delay_reject is off. A refusal here is the greeting (RFC 5321 §3.1: 554).
 */
export function onConnect(ctx: MtaContext, starttlsOffered: boolean): NonNullable<SMTPServerOptions['onConnect']> {
  return (session, callback) => {
    const state = sessionState(session);
    const ip = session.remoteAddress;
    if (ctx.closing) return callback(replies.shuttingDown(ctx.config.hostname));
    const { limits } = ctx.config;
    const releaseService = ctx.serviceConnections.slot(state.service);
    if (releaseService === null) {
      ctx.logger.warn({ event: 'connection_limit', session: session.id, client_ip: ip, service: state.service, limit: limits.max_connections_per_service }, `too many ${state.service} connections: refused ${ip}`);
      return callback(replies.serviceBusy(ctx.config.hostname));
    }
    // Postfix's smtpd_client_event_limit_exceptions = $mynetworks: our own clients are not counted.
    const releaseClient = ctx.mynetworks(ip) ? () => {} : ctx.connections.slot(ip);
    if (releaseClient === null) {
      releaseService();
      ctx.logger.warn({ event: 'connection_limit', session: session.id, client_ip: ip, limit: limits.smtpd_client_connection_count_limit }, `too many connections from ${ip}`);
      return callback(replies.tooManyConnections(ctx.config.hostname, ip));
    }
    connections.inc({ service: state.service });
    sessionsOpen.inc({ service: state.service });
    state.releaseSlots = () => {
      sessionsOpen.dec({ service: state.service });
      releaseService();
      releaseClient();
    };
    // An IP banned for guessing passwords gets nothing more on the submission ports; mail on 25 still flows.
    if (state.service !== 'smtp' && ctx.guard.isBanned(ip)) return callback(replies.authBanned());
    session.disabledCommands = disabledCommands(ctx, session, starttlsOffered);
    void (async () => {
      Object.assign(state, await lookupClientNames(ctx.env.resolver, ip));
      ctx.logger.info({ event: 'connect', ...sessionFields(session), client_ip: ip }, `connect from ${clientLabel(session)}`);
      const verdict = await ctx.policy.evaluate('connect', sessionFacts(session), ctx.env);
      logWarnings(ctx.logger, session, 'CONNECT', verdict);
      if (verdict.action === 'reject') {
        const reply = verdictReply(verdict);
        logReject(ctx.logger, session, 'CONNECT', reply, { stage: verdict.stage, rule: verdict.rule });
        return callback(reply);
      }
      callback();
    })().catch((err: unknown) => {
      ctx.logger.error({ event: 'error', command: 'CONNECT', session: session.id, client_ip: ip, err }, `connect from ${ip}: ${String(err)}`);
      callback(replies.localError());
    });
  };
}

/** After the TLS handshake (STARTTLS, or at connect on 465): AUTH may now be offered; the TLS details are logged. */
export function onSecure(ctx: MtaContext, starttlsOffered: boolean): NonNullable<SMTPServerOptions['onSecure']> {
  return (_socket, session, callback) => {
    session.disabledCommands = disabledCommands(ctx, session, starttlsOffered);
    const tls = session.tlsOptions;
    if (tls) {
      ctx.logger.info(
        { event: 'tls', session: session.id, client: clientLabel(session), tls_protocol: tls.version, tls_cipher: tls.standardName || tls.name },
        `Anonymous TLS connection established from ${clientLabel(session)}: ${tls.version} with cipher ${tls.standardName || tls.name}`,
      );
    }
    callback();
  };
}

/** HELO/EHLO: helo restrictions when they are not delayed to RCPT; the log line. */
export async function heloCheck(ctx: MtaContext, session: SMTPServerSession, hostname: string, command: 'HELO' | 'EHLO'): Promise<SmtpReply | null> {
  const helo = hostname.toLowerCase();
  const verdict = await ctx.policy.evaluate('helo', sessionFacts(session, { helo }), ctx.env);
  logWarnings(ctx.logger, session, command, verdict);
  if (verdict.action === 'reject') {
    const reply = verdictReply(verdict);
    logReject(ctx.logger, session, command, reply, { stage: verdict.stage, rule: verdict.rule });
    return reply;
  }
  ctx.logger.info({ event: 'helo', ...sessionFields(session), helo, command }, `${command} ${helo} from ${clientLabel(session)}`);
  return null;
}

export function onClose(ctx: MtaContext): NonNullable<SMTPServerOptions['onClose']> {
  return (session) => {
    const state = sessionState(session);
    state.releaseSlots?.();
    state.releaseSlots = null;
    releaseAdmission(session);
    ctx.logger.info({ event: 'disconnect', session: session.id, client: clientLabel(session), service: state.service }, `disconnect from ${clientLabel(session)}`);
  };
}
