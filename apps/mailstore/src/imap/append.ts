// APPEND (RFC 3501 §6.3.11, RFC 4315 APPENDUID, RFC 7889 APPENDLIMIT, RFC 9208 OVERQUOTA).
import { normalizeFlags } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import { prepareMessage } from '../message/index.js';
import type { ImapSession } from './imap-core.js';
import type { JournalNotifier } from './notifier.js';
import { sessionUserId } from './session.js';
import { computeStructure, structureMeta } from './structure.js';

/**
 * imap-core has already read the whole literal, checked the flags and the
 * date-time syntax; a client that drops the connection mid-literal never gets
 * here, so nothing partial is ever stored.
 */
export async function appendMessage(
  ctx: MailstoreContext,
  notifier: JournalNotifier,
  path: string,
  flags: string[],
  internalDate: string | false,
  raw: Buffer,
  session: ImapSession,
): Promise<unknown[]> {
  const userId = sessionUserId(session);
  const mailbox = await ctx.store.getMailbox(userId, path);
  // RFC 3501 §6.3.11: a missing mailbox is NO [TRYCREATE].
  if (!mailbox) return ['TRYCREATE'];
  if (raw.length > ctx.config.smtpd.message_size_limit) return ['TOOBIG'];
  if (raw.length === 0) return ['CANNOT'];
  const user = await ctx.store.getUserById(userId);
  if (!user) return ['NONEXISTENT'];
  if (user.quota > 0 && user.storageUsed + raw.length > user.quota) {
    ctx.logger.info({ service: 'imap', session: session.id, user: user.address, mailbox: path, size: raw.length, event: 'append_over_quota' }, `imap append refused: ${user.address} over quota`);
    return ['OVERQUOTA'];
  }
  const message = prepareMessage(raw, {
    flags: normalizeFlags(flags).filter((flag) => flag !== '\\Recent'),
    internalDate: internalDate ? new Date(internalDate) : new Date(),
  });
  message.meta = structureMeta(computeStructure(raw), message.meta ?? null);
  const stored = await ctx.store.appendMessage(mailbox.id, message);
  notifier.changed(mailbox.id);
  // RFC 3501 §6.3.11: appended to the selected mailbox, the client hears EXISTS before the tagged OK.
  await notifier.catchUp(session, mailbox.id);
  ctx.logger.info(
    {
      service: 'imap',
      session: session.id,
      user: user.address,
      mailbox: path,
      uid: stored.message.uid,
      size: stored.message.size,
      messageId: stored.message.headers.messageId,
      event: 'append',
    },
    `imap append to ${path} uid ${stored.message.uid}`,
  );
  return [true, { uidValidity: stored.mailbox.uidValidity, uid: stored.message.uid }];
}
