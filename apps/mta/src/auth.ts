import { saslLogin } from '@postern/service';
import type { SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import type { MtaContext } from './context.js';
import { replies, type SmtpReply } from './replies.js';
import { clientLabel, sessionState } from './session.js';

/** SASL mechanisms offered (RFC 4616 PLAIN, and LOGIN for the clients that still want it). */
export const AUTH_METHODS = ['PLAIN', 'LOGIN'];

/**
 * smtpd_tls_auth_only: AUTH is offered only inside TLS (on 25 and 587 after
 * STARTTLS; 465 is TLS from the start). Without it, also in cleartext.
 */
export function authAllowed(ctx: MtaContext, session: SMTPServerSession): boolean {
  return session.secure || !ctx.config.smtpd.tls_auth_only;
}

/** Why AUTH is refused right now, or null when it may run. */
export function authRefusal(ctx: MtaContext, session: SMTPServerSession, starttlsOffered: boolean): SmtpReply | null {
  if (authAllowed(ctx, session)) return null;
  return starttlsOffered ? replies.startTlsFirst() : replies.authNotEnabled();
}

/**
 * SASL PLAIN and LOGIN against the one user database, through the process's
 * LoginGuard: failures are throttled per IP (also counting IMAP and POP3
 * failures in `postern start`), and a login without `@` gets
 * smtpd.sasl_local_domain appended by the guard.
 */
export function onAuth(ctx: MtaContext): NonNullable<SMTPServerOptions['onAuth']> {
  return (auth, session, callback) => {
    const state = sessionState(session);
    if (auth.method !== 'PLAIN' && auth.method !== 'LOGIN') return callback(replies.authFailed());
    // RFC 4616 §2: the authcid is the login (smtp-server would fall back to the authzid when it is empty).
    const username = (auth.method === 'PLAIN' ? auth.authcid : auth.username) ?? '';
    const attempt = { service: state.service, mechanism: auth.method, authzid: auth.authzid ?? '', username, password: auth.password ?? '', clientIp: session.remoteAddress };
    saslLogin({ login: (...args) => ctx.guard.login(...args), logger: ctx.logger, localDomain: ctx.config.smtpd.sasl_local_domain }, attempt).then(
      (result) => {
        if (!result.ok) {
          if (result.reason === 'authzid') return callback(replies.authzidRefused());
          return callback(result.reason === 'banned' ? replies.authBanned() : replies.authFailed());
        }
        state.login = result.user.address;
        state.saslMethod = auth.method;
        ctx.logger.info(
          { event: 'auth', session: session.id, client: clientLabel(session), sasl_method: auth.method, sasl_username: result.user.address },
          `${session.id}: client=${clientLabel(session)}, sasl_method=${auth.method}, sasl_username=${result.user.address}`,
        );
        callback(null, { user: result.user.address });
      },
      (err: unknown) => {
        ctx.logger.error({ event: 'auth_error', session: session.id, client: clientLabel(session), err }, `${session.id}: authentication lookup failed`);
        callback(replies.authTemporary());
      },
    );
  };
}
