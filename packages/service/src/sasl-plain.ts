// The one SASL login path of SMTP AUTH, IMAP LOGIN/AUTHENTICATE and POP3 USER/PASS/AUTH:
// the PLAIN message (RFC 4616 §2), the authorization-identity rule, the replies and the log line.
import type { LoginResult } from '@postern/directory';
import { addressKey } from '@postern/store';

/** The three fields of a SASL PLAIN message (RFC 4616 §2). */
export interface PlainCredentials {
  /** Authorization identity; empty when the client acts as itself. */
  authzid: string;
  username: string;
  password: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes a base64 PLAIN response (RFC 5034 §4, RFC 4616 §2:
 * `[authzid] NUL authcid NUL passwd`). Null when it is not valid base64 or
 * not three fields with a non-empty username and password.
 */
export function decodePlainResponse(response: string): PlainCredentials | null {
  if (!BASE64.test(response)) return null;
  const fields = Buffer.from(response, 'base64').toString('utf8').split('\0');
  if (fields.length !== 3) return null;
  const [authzid, username, password] = fields as [string, string, string];
  if (username === '' || password === '') return null;
  return { authzid, username, password };
}

/** What every protocol tells the client, in its own reply form (535 / NO / -ERR). */
export const SASL_TEXT = {
  failed: 'Authentication failed',
  authzid: 'Authorization as another user is not allowed',
  banned: 'Too many failed logins from your address, try again later',
} as const;

/** The login as the store knows it: smtpd_sasl_local_domain completes a bare name. */
function loginAddress(name: string, localDomain: string | undefined): string {
  return addressKey(name.includes('@') || !localDomain ? name : `${name}@${localDomain}`);
}

/**
 * RFC 4616 §2: "the client is requesting to act as the identity represented by authzid", and
 * Postern has no proxy (master) users, so the authzid must be empty or name the login itself,
 * compared as addresses (case-insensitively, after the local domain is added to a bare name).
 */
export function authzidAllowed(authzid: string, authcid: string, localDomain?: string): boolean {
  return authzid === '' || loginAddress(authzid, localDomain) === loginAddress(authcid, localDomain);
}

export interface SaslAttempt {
  /** smtp, submission, imap, pop3… (the guard's protocol field). */
  service: string;
  mechanism: 'PLAIN' | 'LOGIN' | 'USER';
  authzid: string;
  /** The authentication identity (authcid), as sent. */
  username: string;
  /** As sent: never trimmed (spaces at either end are part of a password). */
  password: string;
  clientIp: string;
}

export type SaslOutcome = LoginResult | { ok: false; reason: 'authzid' };

export interface SaslDeps {
  login(service: string, username: string, password: string, clientIp: string): Promise<LoginResult>;
  logger: { warn(fields: object, message: string): void };
  localDomain?: string;
}

/** Runs one login through the shared guard after the authzid rule; the guard logs success and failure. */
export async function saslLogin(deps: SaslDeps, attempt: SaslAttempt): Promise<SaslOutcome> {
  const { service, mechanism, authzid, username, password, clientIp } = attempt;
  if (!authzidAllowed(authzid, username, deps.localDomain)) {
    deps.logger.warn(
      { protocol: service, client: clientIp, user: username, authzid, sasl_method: mechanism, event: 'auth_authzid_refused' },
      `auth failure from ${clientIp}: ${username} asked to act as ${authzid}`,
    );
    return { ok: false, reason: 'authzid' };
  }
  return deps.login(service, username, password, clientIp);
}
