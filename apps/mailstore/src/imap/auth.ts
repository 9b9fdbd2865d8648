// LOGIN and AUTHENTICATE PLAIN (RFC 3501 §6.2.2-3, RFC 4616) over the shared user database.
import { ensureDefaultMailboxes } from '@postern/directory';
import { SASL_TEXT, limitText, saslLogin } from '@postern/service';
import type { MailstoreContext } from '../context.js';
import type { ImapConnection, ImapSession, SessionUser } from './imap-core.js';
import { sessionState } from './session.js';

export interface LoginAttempt {
  method: 'LOGIN' | 'PLAIN';
  /** AUTHENTICATE PLAIN's authorization identity (RFC 4616 §2), handed on by the patched imap-core. */
  authzid?: string;
  username: string;
  password: string;
  connection: Pick<ImapConnection, 'secure'>;
}

/** A refusal carrying its IMAP response code (RFC 5530); imap-core sends it as NO. */
function refusal(attempt: LoginAttempt, code: string, text: string): Error & { response: string; code?: string } {
  // LOGIN takes response/code/message from the error; AUTHENTICATE only prints the message.
  const error = new Error(attempt.method === 'LOGIN' ? text : `[${code}] ${text}`) as Error & { response: string; code?: string };
  error.response = 'NO';
  if (attempt.method === 'LOGIN') error.code = code;
  return error;
}

/**
 * Checks the credentials. Before TLS only when `imap.allow_cleartext_auth`
 * says so (RFC 3501 §6.2.3 LOGINDISABLED; imap-core refuses by itself while
 * STARTTLS is on offer). On success the default folders are made sure of
 * (Dovecot's auto-created, subscribed Drafts/Sent/Junk/Trash).
 */
export async function authenticate(ctx: MailstoreContext, attempt: LoginAttempt, session: ImapSession): Promise<unknown[]> {
  const ip = sessionState(session)?.ip ?? session.remoteAddress;
  if (!attempt.connection.secure && !ctx.config.imap.allow_cleartext_auth) {
    ctx.logger.warn({ service: 'imap', client: ip, session: session.id, event: 'auth_refused_cleartext' }, `imap login before TLS refused from ${ip}`);
    throw refusal(attempt, 'PRIVACYREQUIRED', 'Authentication needs TLS');
  }
  const state = sessionState(session);
  if (state) state.authenticating = true;
  let result: Awaited<ReturnType<typeof saslLogin>>;
  try {
    result = await saslLogin(
      { login: ctx.login, logger: ctx.logger, localDomain: ctx.config.smtpd.sasl_local_domain },
      { service: 'imap', mechanism: attempt.method, authzid: attempt.authzid ?? '', username: attempt.username, password: attempt.password, clientIp: ip },
    );
  } finally {
    if (state) state.authenticating = false;
  }
  if (!result.ok) {
    if (result.reason === 'banned') throw refusal(attempt, 'UNAVAILABLE', SASL_TEXT.banned);
    // RFC 5530 §3: AUTHORIZATIONFAILED, the credentials may be fine but not for that identity.
    if (result.reason === 'authzid') throw refusal(attempt, 'AUTHORIZATIONFAILED', SASL_TEXT.authzid);
    // imap-core answers NO [AUTHENTICATIONFAILED] when no user comes back.
    return [null];
  }
  if (state?.slots && !(await state.slots.login(result.user.address))) {
    const text = limitText('userip', ctx.config.limits);
    ctx.logger.warn({ service: 'imap', client: ip, session: session.id, user: result.user.address, event: 'connection_limit', limit: 'userip' }, `imap login ${result.user.address} from ${ip} refused: ${text}`);
    // RFC 5530 §3: LIMIT, the operation ran into a limit the server imposes; the client may retry later.
    throw refusal(attempt, 'LIMIT', text);
  }
  await ensureDefaultMailboxes(ctx.store, result.user);
  if (state?.loginTimer) {
    clearTimeout(state.loginTimer);
    state.loginTimer = null;
  }
  const user: SessionUser = { id: result.user.id, username: result.user.address };
  return [{ user }];
}
