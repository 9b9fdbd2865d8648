// The imap-core server with Postern's hooks, limits and notifier wired in.
import type { Socket } from 'node:net';
import { plainClientIp } from '@postern/config';
import { limitText, type LimitRefusal, type SessionSlots } from '@postern/service';
import type { MailstoreContext } from '../context.js';
import { appendMessages, type AppendedMessage } from './append.js';
import { authenticate, type LoginAttempt } from './auth.js';
import { copyMessages, expungeDeleted, moveMessages, type CopyRequest, type ExpungeRequest } from './copy-move.js';
import { fetchMessages, type FetchOptions } from './fetch.js';
import { watchPipelinedFetches } from './fetch-ahead.js';
import { coalesceWrites } from './write-coalescing.js';
import { storeFlags, type StoreUpdate } from './flags.js';
import { greetWithoutNameLookup } from './greeting.js';
import { IMAPServer, routeCoreNotices, type HookCallback, type ImapConnection, type ImapCoreServer, type ImapSession } from './imap-core.js';
import { guardCommands } from './command-guard.js';
import { endIdleOnClose, guardStartTls, limitLineLength } from './input-guards.js';
import { EXTENSION_CAPABILITIES, installExtensionCommands, searchAnswer } from './extensions.js';
import { createFolder, deleteFolder, listFolders, listMailboxes, listSubscribed, renameFolder, subscribe } from './mailboxes.js';
import { JournalNotifier } from './notifier.js';
import { announceWithUpdates } from './unilateral.js';
import { reportVanished } from './vanished.js';
import { quota, quotaRoot } from './quota.js';
import { searchMessages, type SearchRequest } from './search.js';
import { catchUpBeforeUidCommands } from './uid-catch-up.js';
import { mailboxStatus, openMailbox } from './select.js';
import { answer, closeSessionState, openSessionState, sessionState } from './session.js';

export interface ImapServerOptions {
  implicitTls: boolean;
  /** Journal poll interval for changes made by other processes (default 250 ms). */
  pollMs?: number;
}

/** RFC 3501 §5.4: the autologout timer is at least 30 minutes. */
const AUTOLOGOUT_MS = 30 * 60 * 1000;
/** How the greeting and the ID response (RFC 2971) name the server. */
const SERVER_NAME = 'Postern';
/** A client that has not logged in after this long is disconnected. */
const LOGIN_TIMEOUT_MS = 60 * 1000;

function clientIp(address: string | undefined): string {
  return plainClientIp(address ?? '');
}

export interface PosternImapServer {
  core: ImapCoreServer;
  notifier: JournalNotifier;
}

export function createImapServer(ctx: MailstoreContext, options: ImapServerOptions): PosternImapServer {
  const logger = ctx.logger;
  routeCoreNotices((notice) => logger.debug({ service: 'imap', notice }, 'imap-core notice'));
  const notifier = new JournalNotifier(ctx.store, logger, { changes: ctx.mailboxChanges, ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }) });
  // Key, certificate, floor and SNICallback from the one provider: imap-core calls SNICallback on 993 (and STARTTLS).
  const tls = ctx.tls ? ctx.tls.serverOptions() : {};

  /** The connection behind each session, for cleanup imap-core leaves undone when it closes. */
  const connectionOf = new WeakMap<ImapSession, ImapConnection>();

  class Server extends IMAPServer {
    /** Every accepted socket passes here first: the service and per-address limits apply before a session exists. */
    override connect(socket: Socket, socketOptions: { id: string; remoteAddress?: string }): void {
      const ip = clientIp(socketOptions.remoteAddress ?? socket.remoteAddress);
      // The counts may live in another process (mailstore workers): the socket waits, unread, for the answer.
      // A reset meanwhile is no error of the process's: the connection is simply not served.
      const ignore = (): void => {};
      socket.on('error', ignore);
      void ctx.connections.open('imap', ip).then((slots) => {
        socket.off('error', ignore);
        this.admit(socket, socketOptions, ip, slots);
      });
    }

    private admit(socket: Socket, socketOptions: { id: string; remoteAddress?: string }, ip: string, slots: SessionSlots | LimitRefusal): void {
      if (socket.destroyed) {
        if (typeof slots !== 'string') slots.close();
        return;
      }
      if (typeof slots === 'string') {
        const text = limitText(slots, ctx.config.limits);
        logger.warn({ service: 'imap', client: ip, event: 'connection_limit', limit: slots }, `imap connection from ${ip} refused: ${text}`);
        // RFC 3501 §7.1.5: BYE as the greeting, the server refuses the connection.
        socket.end(`* BYE ${text}\r\n`);
        setTimeout(() => socket.destroy(), 1000).unref();
        return;
      }
      const release = (): void => slots.close();
      // STARTTLS removes the plain socket's listeners, so the release also hangs on onClose.
      socket.once('close', release);
      // A response goes out in several writes (untagged data, then the tagged line); Nagle would hold
      // the last one back until the client's delayed ACK, adding ~40 ms to every command.
      socket.setNoDelay(true);
      super.connect(socket, socketOptions);
      // onConnect (run inside super.connect) has opened the session state by now.
      const connection = [...this.connections].find((candidate) => candidate.id === socketOptions.id);
      const state = connection && sessionState(connection.session);
      if (!connection || !state) return release();
      state.slots = slots;
      state.onClose.add(release);
      connectionOf.set(connection.session, connection);
      limitLineLength(connection);
      guardStartTls(connection, ctx.tls !== null);
      announceWithUpdates(connection);
      reportVanished(connection);
      guardCommands(connection, logger, ip);
      catchUpBeforeUidCommands(connection, notifier, ctx.store, logger);
      watchPipelinedFetches(connection);
      coalesceWrites(connection);
    }
  }

  installExtensionCommands();
  const core = new Server({
    // RFC 7889 §3: APPENDLIMIT=n, one limit for every mailbox: the one APPEND enforces (NO [TOOBIG] above it).
    capabilities: [...EXTENSION_CAPABILITIES, `APPENDLIMIT=${ctx.config.smtpd.message_size_limit}`],
    ...tls,
    secure: options.implicitTls,
    needsUpgrade: false,
    // Without a certificate there is no STARTTLS; logins are then refused unless cleartext is allowed.
    disableSTARTTLS: !options.implicitTls && !ctx.tls,
    // allow_cleartext_auth: STARTTLS stays on offer, LOGIN works without it (no LOGINDISABLED).
    ignoreSTARTTLS: ctx.config.imap.allow_cleartext_auth,
    maxMessage: ctx.config.smtpd.message_size_limit,
    enableCompression: true,
    id: { name: SERVER_NAME },
    name: ctx.config.hostname,
    logger: false,
    skipFetchLog: true,
    socketTimeout: AUTOLOGOUT_MS,
    idleTimeout: AUTOLOGOUT_MS,
    closeTimeout: 1500,
  });
  core.notifier = notifier;
  const unfollowTls = ctx.tls?.keepUpdated(core);
  if (unfollowTls) core.server.once('close', unfollowTls);

  core.onConnect = (session, callback) => {
    // imap-core added the connection before asking; its init() runs once this callback does.
    const connection = [...core.connections].find((candidate) => candidate.session === session);
    if (connection) greetWithoutNameLookup(connection, SERVER_NAME);
    const state = openSessionState(session, clientIp(session.remoteAddress));
    state.loginTimer = setTimeout(() => {
      if (session.user) return;
      // A login waiting for its password check (queued behind others at a burst of logins) is not an idle client.
      if (state.authenticating) return void state.loginTimer?.refresh();
      logger.info({ service: 'imap', client: state.ip, session: session.id, event: 'login_timeout' }, `imap login timeout for ${state.ip}`);
      session.writeStream.write({ compiled: '* BYE Login timeout' });
      setTimeout(() => session.socket.destroy(), 100).unref();
    }, LOGIN_TIMEOUT_MS);
    state.loginTimer.unref();
    logger.info({ service: 'imap', client: state.ip, session: session.id, event: 'connect' }, `imap connect from ${state.ip}`);
    callback();
  };

  core.onClose = (session, callback) => {
    const connection = connectionOf.get(session);
    if (connection) endIdleOnClose(connection);
    const state = closeSessionState(session);
    logger.info(
      { service: 'imap', client: state?.ip ?? session.remoteAddress, session: session.id, user: session.user?.username, event: 'disconnect' },
      `imap disconnect ${state?.ip ?? session.remoteAddress}`,
    );
    callback();
  };

  const hook = (name: string, run: (...args: never[]) => Promise<unknown[]>) => {
    core[`on${name}`] = (...args: unknown[]) => {
      const callback = args.pop() as HookCallback;
      const session = args[args.length - 1] as ImapSession;
      answer(logger, session, name, callback, (run as (...args: unknown[]) => Promise<unknown[]>)(...args));
    };
  };

  hook('Auth', (attempt: LoginAttempt, session: ImapSession) => authenticate(ctx, attempt, session));
  hook('List', (_query: string, session: ImapSession) => listFolders(ctx, session));
  hook('Lsub', (_query: string, session: ImapSession) => listSubscribed(ctx, session));
  hook('Create', (path: string, session: ImapSession) => createFolder(ctx, path, session));
  hook('Delete', (path: string, session: ImapSession) => deleteFolder(ctx, notifier, path, session));
  hook('Rename', (from: string, to: string, session: ImapSession) => renameFolder(ctx, from, to, session));
  hook('Subscribe', (path: string, session: ImapSession) => subscribe(ctx, path, true, session));
  hook('Unsubscribe', (path: string, session: ImapSession) => subscribe(ctx, path, false, session));
  hook('Open', (path: string, session: ImapSession) => openMailbox(ctx, path, session));
  hook('Status', (path: string, session: ImapSession) => mailboxStatus(ctx, path, session));
  hook('ListMailboxes', (session: ImapSession) => listMailboxes(ctx, session));
  hook('Append', (path: string, messages: AppendedMessage[], session: ImapSession) => appendMessages(ctx, notifier, path, messages, session));
  core.onSearchReturn = searchAnswer;
  hook('Fetch', (mailbox: string, request: FetchOptions, session: ImapSession) => fetchMessages(ctx, notifier, mailbox, request, session));
  hook('Store', (mailbox: string, update: StoreUpdate, session: ImapSession) => storeFlags(ctx, notifier, mailbox, update, session));
  hook('Search', (mailbox: string, request: SearchRequest, session: ImapSession) => searchMessages(ctx, mailbox, request, session));
  hook('Copy', (_connection: unknown, mailbox: string, request: CopyRequest, session: ImapSession) => copyMessages(ctx, notifier, mailbox, request, session));
  hook('Move', (mailbox: string, request: CopyRequest, session: ImapSession) => moveMessages(ctx, notifier, mailbox, request, session));
  hook('Expunge', (mailbox: string, request: ExpungeRequest, session: ImapSession) => expungeDeleted(ctx, notifier, mailbox, request, session));
  hook('GetQuotaRoot', (path: string, session: ImapSession) => quotaRoot(ctx, path, session));
  hook('GetQuota', (root: string, session: ImapSession) => quota(ctx, root, session));

  core.onIdleStart = (_mailbox: unknown, session: ImapSession) => notifier.setIdling(session, true);
  core.onIdleEnd = (_mailbox: unknown, session: ImapSession) => notifier.setIdling(session, false);

  core.on('error', (err: Error) => logger.warn({ service: 'imap', err }, `imap connection error: ${err.message}`));
  return { core, notifier };
}
