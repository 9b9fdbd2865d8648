// APPEND (RFC 3501 §6.3.11, RFC 3502 MULTIAPPEND, RFC 4469 CATENATE, RFC 4315 APPENDUID, RFC 7889 APPENDLIMIT, RFC 9208 OVERQUOTA).
import { normalizeFlags, type Uid } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import { assembleMessages, type AppendData } from './catenate.js';
import { prepareMessage } from '../message/index.js';
import type { ImapSession } from './imap-core.js';
import type { JournalNotifier } from './notifier.js';
import { sessionUserId } from './session.js';
import { computeStructure, structureMeta } from './structure.js';

/** One message of an APPEND command: its literal (or CATENATE parts), flags and INTERNALDATE. */
export interface AppendedMessage {
  data: AppendData;
  flags: string[];
  internalDate: Date | null;
}

/**
 * imap-core has already read every literal, and the APPEND command has
 * checked the flags and the date-time syntax; a client that drops the
 * connection mid-literal never gets here, so nothing partial is ever stored.
 * RFC 3502 §6.3.11: with several messages, either all are appended or none:
 * every check runs before the first message is stored, and a store failure
 * part way expunges the ones already stored before the NO.
 */
export async function appendMessages(
  ctx: MailstoreContext,
  notifier: JournalNotifier,
  path: string,
  messages: AppendedMessage[],
  session: ImapSession,
): Promise<unknown[]> {
  const userId = sessionUserId(session);
  const mailbox = await ctx.store.getMailbox(userId, path);
  // RFC 3501 §6.3.11: a missing mailbox is NO [TRYCREATE].
  if (!mailbox) return ['TRYCREATE'];
  // RFC 4469 §3: every URL is resolved (or the command refused with BADURL/TOOBIG) before anything is stored.
  const raws = await assembleMessages(ctx, session, userId, messages.map((message) => message.data));
  if (raws.some((raw) => raw.length > ctx.config.smtpd.message_size_limit)) return ['TOOBIG'];
  if (raws.some((raw) => raw.length === 0)) return ['CANNOT'];
  const user = await ctx.store.getUserById(userId);
  if (!user) return ['NONEXISTENT'];
  const size = raws.reduce((sum, raw) => sum + raw.length, 0);
  if (user.quota > 0 && user.storageUsed + size > user.quota) {
    ctx.logger.info({ service: 'imap', session: session.id, user: user.address, mailbox: path, size, event: 'append_over_quota' }, `imap append refused: ${user.address} over quota`);
    return ['OVERQUOTA'];
  }
  const prepared = messages.map((message, index) => {
    const raw = raws[index]!;
    const ready = prepareMessage(raw, {
      flags: normalizeFlags(message.flags).filter((flag) => flag !== '\\Recent'),
      internalDate: message.internalDate ?? new Date(),
    });
    ready.meta = structureMeta(computeStructure(raw), ready.meta ?? null);
    return ready;
  });
  const uids: Uid[] = [];
  let uidValidity = mailbox.uidValidity;
  try {
    for (const message of prepared) {
      const stored = await ctx.store.appendMessage(mailbox.id, message);
      uids.push(stored.message.uid);
      uidValidity = stored.mailbox.uidValidity;
      ctx.logger.info(
        { service: 'imap', session: session.id, user: user.address, mailbox: path, uid: stored.message.uid, size: stored.message.size, messageId: stored.message.headers.messageId, event: 'append' },
        `imap append to ${path} uid ${stored.message.uid}`,
      );
    }
  } catch (err) {
    // RFC 3502 §6.3.11: "If the server does not return OK, then none of the messages are appended."
    if (uids.length > 0) {
      await ctx.store.expungeMessages(mailbox.id, uids);
      ctx.logger.warn({ service: 'imap', session: session.id, user: user.address, mailbox: path, uids, event: 'append_undone' }, `imap append to ${path} undone after a store failure`);
    }
    throw err;
  } finally {
    if (uids.length > 0) notifier.changed(mailbox.id);
  }
  // RFC 3501 §6.3.11: appended to the selected mailbox, the client hears EXISTS before the tagged OK.
  await notifier.catchUp(session, mailbox.id);
  return [true, { uidValidity, uids }];
}
