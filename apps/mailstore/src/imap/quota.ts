// GETQUOTAROOT and GETQUOTA (RFC 2087 / RFC 9208): one root, "", holding all of a user's mailboxes.
import type { MailstoreContext } from '../context.js';
import type { ImapSession } from './imap-core.js';
import { sessionUserId } from './session.js';

/**
 * imap-core always prints a STORAGE limit; a user without a quota (0) is shown
 * the largest limit the protocol number can carry rather than a limit of 0.
 */
const UNLIMITED_BYTES = 2 ** 53 - 1;

async function quotaOf(ctx: MailstoreContext, session: ImapSession): Promise<unknown[]> {
  const user = await ctx.store.getUserById(sessionUserId(session));
  if (!user) return ['NONEXISTENT'];
  return [{ root: '', quota: user.quota > 0 ? user.quota : UNLIMITED_BYTES, storageUsed: Math.max(0, user.storageUsed) }];
}

export async function quotaRoot(ctx: MailstoreContext, path: string, session: ImapSession): Promise<unknown[]> {
  const mailbox = await ctx.store.getMailbox(sessionUserId(session), path);
  if (!mailbox) return ['NONEXISTENT'];
  return quotaOf(ctx, session);
}

export async function quota(ctx: MailstoreContext, root: string, session: ImapSession): Promise<unknown[]> {
  if (root !== '') return ['NONEXISTENT'];
  return quotaOf(ctx, session);
}
