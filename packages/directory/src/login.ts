import { randomBytes } from 'node:crypto';
import { hashPassword, needsRehash, verifyPassword, type AuthCache } from '@postern/auth';
import type { Store, User } from '@postern/store';

export interface LoginOptions {
  /** smtpd_sasl_local_domain: appended to a login without `@`. */
  localDomain?: string;
  /** Remembers verification results (Dovecot's auth cache). */
  cache?: AuthCache;
}

// A hash in the default scheme of a random password nobody knows: verified for an unknown or
// disabled login so that it costs what a real user's costs (no timing oracle for addresses).
let dummyHash: Promise<string> | null = null;
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64'));
  return dummyHash;
}

/**
 * Checks a login (SMTP AUTH, IMAP LOGIN, POP3 USER/PASS) against the one
 * user database. Returns the user, or null for any failure — unknown user,
 * disabled user, wrong password — so callers cannot tell them apart to a client,
 * neither by the answer nor by its time. The user record is read on every login
 * (cheap); only the password verification is cached, keyed by the stored hash.
 * A hash in an old scheme is upgraded to the current default on success.
 */
export async function authenticateLogin(store: Store, username: string, password: string, options: LoginOptions = {}): Promise<User | null> {
  const login = username.includes('@') || !options.localDomain ? username : `${username}@${options.localDomain}`;
  const found = await store.getUser(login);
  const user = found && !found.disabled ? found : null;
  const stored = user?.passwordHash ?? (await dummyPasswordHash());
  const cached = options.cache?.get(login, password, stored);
  const ok = cached ?? (await verifyPassword(password, stored));
  if (cached === undefined) options.cache?.set(login, password, stored, ok);
  if (user === null || !ok) return null;
  if (needsRehash(user.passwordHash)) {
    await store.updateUser(user.address, { passwordHash: await hashPassword(password) });
  }
  return user;
}
