// LIST, LSUB, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 3501 §6.3, RFC 6154 special-use).
import { StoreConflictError, StoreNotFoundError, type Mailbox } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import type { ImapSession } from './imap-core.js';
import type { JournalNotifier } from './notifier.js';
import { sessionState, sessionUserId } from './session.js';

/** Longest mailbox name accepted, in characters, and deepest hierarchy. */
const MAX_PATH_LENGTH = 512;
const MAX_DEPTH = 16;

/** What imap-core's LIST/LSUB listing takes: it adds \HasChildren, \Noselect parents and filters by pattern. */
interface Folder {
  path: string;
  specialUse?: string;
}

function folder(mailbox: Mailbox): Folder {
  return mailbox.specialUse ? { path: mailbox.path, specialUse: mailbox.specialUse } : { path: mailbox.path };
}

/** Why a new mailbox name is refused, or null when it is fine. */
export function invalidMailboxName(path: string): string | null {
  if (path.length > MAX_PATH_LENGTH) return `Mailbox name longer than ${MAX_PATH_LENGTH} characters`;
  const segments = path.split('/');
  if (segments.length > MAX_DEPTH) return `Mailbox hierarchy deeper than ${MAX_DEPTH} levels`;
  if (segments.some((segment) => segment.trim() === '')) return 'Empty hierarchy level in mailbox name';
  // RFC 3501 §5.1: names with the LIST wildcards cannot be listed reliably; control characters are never names.
  if (/[*%\u0000-\u001f\u007f]/u.test(path)) return 'Mailbox name contains a wildcard or control character';
  // RFC 9051 §5.1: names are Net-Unicode; octets that are no UTF-8 reach here decoded as U+FFFD.
  if (path.includes('\ufffd')) return 'Mailbox name is not valid UTF-8';
  return null;
}

export async function listFolders(ctx: MailstoreContext, session: ImapSession): Promise<unknown[]> {
  const mailboxes = await ctx.store.listMailboxes(sessionUserId(session));
  return [mailboxes.map(folder)];
}

/** The user's mailboxes as the store has them, for LIST-EXTENDED (RFC 5258). */
export async function listMailboxes(ctx: MailstoreContext, session: ImapSession): Promise<unknown[]> {
  return [await ctx.store.listMailboxes(sessionUserId(session))];
}

export async function listSubscribed(ctx: MailstoreContext, session: ImapSession): Promise<unknown[]> {
  const mailboxes = await ctx.store.listMailboxes(sessionUserId(session));
  return [mailboxes.filter((mailbox) => mailbox.subscribed).map(folder)];
}

export async function createFolder(ctx: MailstoreContext, path: string, session: ImapSession): Promise<unknown[]> {
  const userId = sessionUserId(session);
  // RFC 6154 §3: CREATE … (USE (\Sent)); the command left it in the session state just before this hook.
  const specialUse = sessionState(session)?.createUse ?? null;
  const problem = invalidMailboxName(path);
  if (problem) return ['CANNOT'];
  if (specialUse && (await ctx.store.listMailboxes(userId)).some((mailbox) => mailbox.specialUse === specialUse)) {
    // RFC 6154 §3: the server may refuse a special use it cannot give (here: one mailbox per use) with NO [USE-ATTR].
    return ['USE-ATTR'];
  }
  try {
    const mailbox = await ctx.store.createMailbox(userId, path, { subscribed: false, specialUse });
    ctx.logger.info({ service: 'imap', session: session.id, user: session.user?.username, mailbox: path, specialUse, event: 'mailbox_create' }, `imap create ${path}`);
    await createSuperiors(ctx, session, path);
    return [true, mailbox.id];
  } catch (err) {
    if (err instanceof StoreConflictError) return ['ALREADYEXISTS'];
    throw err;
  }
}

/**
 * RFC 3501 §6.3.3 (RFC 9051 §6.3.4): creating "foo/bar/zap" SHOULD create
 * "foo" and "foo/bar" when they do not exist yet; §6.3.5 (RFC 9051 §6.3.6)
 * asks the same of RENAME's new name. Levels that exist, or that another
 * session creates meanwhile, are left as they are.
 */
async function createSuperiors(ctx: MailstoreContext, session: ImapSession, path: string): Promise<void> {
  const userId = sessionUserId(session);
  const levels = path.split('/');
  if (levels.length < 2) return;
  const existing = new Set((await ctx.store.listMailboxes(userId)).map((mailbox) => mailbox.path));
  for (let depth = 1; depth < levels.length; depth++) {
    const superior = levels.slice(0, depth).join('/');
    if (existing.has(superior) || (depth === 1 && superior.toUpperCase() === 'INBOX')) continue;
    try {
      await ctx.store.createMailbox(userId, superior, { subscribed: false, specialUse: null });
      ctx.logger.info({ service: 'imap', session: session.id, user: session.user?.username, mailbox: superior, event: 'mailbox_create' }, `imap create ${superior} (superior of ${path})`);
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
    }
  }
}

/** Special-use folders stay: every user keeps Drafts, Sent, Junk and Trash (SPEC §2, Dovecot's autocreate). */
function isProtected(mailbox: Mailbox): boolean {
  return mailbox.path === 'INBOX' || mailbox.specialUse !== null;
}

export async function deleteFolder(ctx: MailstoreContext, notifier: JournalNotifier, path: string, session: ImapSession): Promise<unknown[]> {
  const mailbox = await ctx.store.getMailbox(sessionUserId(session), path);
  if (!mailbox) return ['NONEXISTENT'];
  if (isProtected(mailbox)) return ['CANNOT'];
  await ctx.store.deleteMailbox(mailbox.id);
  notifier.dropped(mailbox.id);
  ctx.logger.info({ service: 'imap', session: session.id, user: session.user?.username, mailbox: path, event: 'mailbox_delete' }, `imap delete ${path}`);
  return [true, mailbox.id];
}

/** RFC 3501 §6.3.5: the mailbox and every mailbox below it move to the new name. */
export async function renameFolder(ctx: MailstoreContext, from: string, to: string, session: ImapSession): Promise<unknown[]> {
  const userId = sessionUserId(session);
  const mailbox = await ctx.store.getMailbox(userId, from);
  if (!mailbox) return ['NONEXISTENT'];
  if (isProtected(mailbox)) return ['CANNOT'];
  if (invalidMailboxName(to)) return ['CANNOT'];
  if (to === from || to.startsWith(`${from}/`)) return ['CANNOT'];
  try {
    const renamed = await ctx.store.renameMailbox(userId, from, to);
    ctx.logger.info(
      { service: 'imap', session: session.id, user: session.user?.username, mailbox: from, to, count: renamed.length, event: 'mailbox_rename' },
      `imap rename ${from} to ${to}`,
    );
    await createSuperiors(ctx, session, to);
    return [true, mailbox.id];
  } catch (err) {
    if (err instanceof StoreConflictError) return ['ALREADYEXISTS'];
    if (err instanceof StoreNotFoundError) return ['NONEXISTENT'];
    throw err;
  }
}

export async function subscribe(ctx: MailstoreContext, path: string, subscribed: boolean, session: ImapSession): Promise<unknown[]> {
  const mailbox = await ctx.store.getMailbox(sessionUserId(session), path);
  if (!mailbox) return ['NONEXISTENT'];
  await ctx.store.setSubscribed(mailbox.id, subscribed);
  return [true];
}
