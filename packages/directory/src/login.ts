import { hashPassword, needsRehash, verifyPassword } from '@postern/auth';
import type { Store, User } from '@postern/store';

export interface LoginOptions {
  /** smtpd_sasl_local_domain: appended to a login without `@`. */
  localDomain?: string;
}

/**
 * Checks a login (SMTP AUTH, IMAP LOGIN, POP3 USER/PASS) against the one
 * user database. Returns the user, or null for any failure — unknown user,
 * disabled user, wrong password — so callers cannot tell them apart to a client.
 * A hash in an old scheme is upgraded to the current default on success.
 */
export async function authenticateLogin(store: Store, username: string, password: string, options: LoginOptions = {}): Promise<User | null> {
  const login = username.includes('@') || !options.localDomain ? username : `${username}@${options.localDomain}`;
  const user = await store.getUser(login);
  if (!user || user.disabled) return null;
  if (!(await verifyPassword(password, user.passwordHash))) return null;
  if (needsRehash(user.passwordHash)) {
    await store.updateUser(user.address, { passwordHash: await hashPassword(password) });
  }
  return user;
}
