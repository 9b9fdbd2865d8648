// COPY, MOVE, EXPUNGE, UID EXPUNGE and CLOSE's silent expunge (RFC 3501 §6.4.3/§6.4.7, RFC 4315, RFC 6851).
import type { Mailbox, MessageRecord } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import type { ImapSession } from './imap-core.js';
import type { JournalNotifier } from './notifier.js';
import { ownMailbox, sessionUserId, writeResponse } from './session.js';
import { pageSelector, uidSet } from './uid-sets.js';
import { reportExpunged } from './vanished.js';

/** The destination of a COPY/MOVE, looked up among the session user's own mailboxes only. */
async function destination(ctx: MailstoreContext, session: ImapSession, path: string): Promise<Mailbox | null> {
  return ctx.store.getMailbox(sessionUserId(session), path);
}

/** RFC 9208 §5.3: a copy that would take the user over quota is refused with OVERQUOTA. */
async function overQuota(ctx: MailstoreContext, session: ImapSession, messages: MessageRecord[]): Promise<boolean> {
  const user = await ctx.store.getUserById(sessionUserId(session));
  if (!user || user.quota <= 0) return false;
  const adding = messages.reduce((sum, message) => sum + message.size, 0);
  return user.storageUsed + adding > user.quota;
}

function copyInfo(uidValidity: number, uidMap: { sourceUid: number; destinationUid: number }[]): Record<string, unknown> {
  return {
    uidValidity,
    sourceUid: uidMap.map((pair) => pair.sourceUid),
    destinationUid: uidMap.map((pair) => pair.destinationUid),
  };
}

export interface CopyRequest {
  destination: string;
  messages: number[];
}

export async function copyMessages(ctx: MailstoreContext, notifier: JournalNotifier, mailboxId: string, request: CopyRequest, session: ImapSession): Promise<unknown[]> {
  const source = await ownMailbox(ctx.store, session, mailboxId);
  if (!source) return ['NONEXISTENT'];
  const target = await destination(ctx, session, request.destination);
  // RFC 3501 §6.4.7: a missing destination is NO [TRYCREATE].
  if (!target) return ['TRYCREATE'];
  if (request.messages.length === 0) return [true, copyInfo(target.uidValidity, [])];
  const messages = await ctx.store.listMessages(source.id, { uids: pageSelector(request.messages) });
  if (await overQuota(ctx, session, messages)) return ['OVERQUOTA'];
  const result = await ctx.store.copyMessages(source.id, messages.map((message) => message.uid), target.id);
  notifier.changed(target.id);
  // RFC 3501 §6.4.7 with §7.3.1: copied into the selected mailbox, the client hears EXISTS before the tagged OK.
  await notifier.catchUp(session, target.id);
  ctx.logger.info(
    { service: 'imap', session: session.id, user: session.user?.username, from: source.path, to: target.path, count: result.uidMap.length, event: 'copy' },
    `imap copy ${result.uidMap.length} from ${source.path} to ${target.path}`,
  );
  return [true, copyInfo(result.uidValidity, result.uidMap)];
}

/** RFC 6851 §3.3: the moved messages are expunged from the source, and the client is told before the tagged OK. */
export async function moveMessages(ctx: MailstoreContext, notifier: JournalNotifier, mailboxId: string, request: CopyRequest, session: ImapSession): Promise<unknown[]> {
  const source = await ownMailbox(ctx.store, session, mailboxId);
  if (!source) return ['NONEXISTENT'];
  const target = await destination(ctx, session, request.destination);
  if (!target) return ['TRYCREATE'];
  if (request.messages.length === 0) return [true, copyInfo(target.uidValidity, [])];
  const result = await ctx.store.moveMessages(source.id, request.messages, target.id);
  // RFC 6851 §4.3: COPYUID goes out in an untagged OK before the EXPUNGEs (the tagged OK repeats it).
  const info = copyInfo(result.uidValidity, result.uidMap);
  await writeResponse(session, { compiled: `* OK [COPYUID ${result.uidValidity} ${uidSet(result.uidMap.map((pair) => pair.sourceUid))} ${uidSet(result.uidMap.map((pair) => pair.destinationUid))}] Moved UIDs.` });
  await reportExpunged(session, result.uidMap.map((pair) => pair.sourceUid));
  notifier.changed(source.id);
  notifier.changed(target.id);
  await notifier.catchUp(session, target.id);
  ctx.logger.info(
    { service: 'imap', session: session.id, user: session.user?.username, from: source.path, to: target.path, count: result.uidMap.length, event: 'move' },
    `imap move ${result.uidMap.length} from ${source.path} to ${target.path}`,
  );
  return [true, info];
}

export interface ExpungeRequest {
  isUid: boolean;
  /** UID EXPUNGE: only these UIDs (RFC 4315 §2.1). */
  messages?: number[];
  /** CLOSE: expunge without untagged responses (RFC 3501 §6.4.2). */
  silent?: boolean;
}

export async function expungeDeleted(ctx: MailstoreContext, notifier: JournalNotifier, mailboxId: string, request: ExpungeRequest, session: ImapSession): Promise<unknown[]> {
  const mailbox = await ownMailbox(ctx.store, session, mailboxId);
  if (!mailbox) return ['NONEXISTENT'];
  const selector = request.isUid && request.messages ? pageSelector(request.messages) : undefined;
  if (request.isUid && request.messages?.length === 0) return [true];
  const messages = await ctx.store.listMessages(mailbox.id, selector ? { uids: selector } : {});
  // Only messages this session knows of: one appended meanwhile by someone else is not its to remove.
  const known = session.selected && session.selected.mailbox === mailbox.id ? new Set(session.selected.uidList) : null;
  const deleted = messages
    .filter((message) => message.flags.some((flag) => flag.toLowerCase() === '\\deleted'))
    .filter((message) => !known || known.has(message.uid))
    .map((message) => message.uid);
  if (deleted.length === 0) return [true];
  const expunged = await ctx.store.expungeMessages(mailbox.id, deleted);
  if (!request.silent) await reportExpunged(session, expunged);
  notifier.changed(mailbox.id);
  ctx.logger.info(
    { service: 'imap', session: session.id, user: session.user?.username, mailbox: mailbox.path, count: expunged.length, event: 'expunge' },
    `imap expunge ${expunged.length} from ${mailbox.path}`,
  );
  return [true];
}
