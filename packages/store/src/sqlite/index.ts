import { resolve } from 'node:path';
import type { Store } from '../store.js';
import type {
  FlagSearch,
  MailboxTotals,
  AuthBan,
  AuthThrottleState,
  MtaStsCacheEntry,
  TlsResult,
  TlsResultCount,
  DmarcResult,
  DmarcResultCount,
  Alias,
  AppendResult,
  BlobHash,
  CopyResult,
  DkimKey,
  DkimKeyPatch,
  Domain,
  FlagUpdate,
  FlagUpdateResult,
  JournalEntry,
  Mailbox,
  MailboxId,
  MessageId,
  MessageCountFilter,
  MessageFlags,
  MessageQuery,
  MessageRecord,
  ModSeq,
  NewDkimKey,
  NewMailbox,
  NewMessage,
  NewQueueEntry,
  NewUser,
  QueueEntry,
  QueueEntryPatch,
  QueueId,
  SenderLogin,
  SieveDeleteResult,
  SieveScriptRecord,
  Uid,
  User,
  UserId,
  UserPatch,
} from '../types.js';
import * as accounts from './accounts.js';
import * as authThrottle from './auth-throttle.js';
import * as blobs from './blobs.js';
import { backupTo } from './backup.js';
import { DEFAULT_BUSY_RETRY, retryWhileBusy, type BusyRetry } from './busy.js';
import { SqliteDb } from './db.js';
import * as dkim from './dkim.js';
import * as flagSearch from './flag-search.js';
import * as mailboxes from './mailboxes.js';
import * as maps from './maps.js';
import * as messages from './messages.js';
import * as outboundTls from './outbound-tls.js';
import * as dmarcResults from './dmarc-results.js';
import * as queue from './queue.js';
import { migrate } from './schema.js';
import * as sieve from './sieve.js';

export interface SqliteStoreOptions {
  /** How long a call waits for another process's lock, and in what steps (tests shorten it). */
  busy?: Partial<BusyRetry>;
}

/**
 * The store in one SQLite file (WAL). Several processes (MTA, mailstore, CLI)
 * may open the same file: every read-modify-write runs under BEGIN IMMEDIATE,
 * so a lock held elsewhere shows at the start of a transaction, never halfway.
 * better-sqlite3 is synchronous; every call is one attempt retried on timers
 * while the file is locked (busy.ts), so waiting never blocks the event loop,
 * and a lock held past the bound is a StoreBusyError (temporary).
 */
export class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;

  private constructor(
    private readonly db: SqliteDb,
    private readonly path: string,
    private readonly busy: BusyRetry,
  ) {}

  /** Opens (creating when missing) the database file and brings its schema up to date. */
  static async open(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const absolute = path === ':memory:' ? path : resolve(path);
    const busy = { ...DEFAULT_BUSY_RETRY, ...options.busy };
    // Switching a new file to WAL and migrating it both take locks another process may hold.
    const db = await retryWhileBusy('open', () => SqliteDb.open(absolute), busy);
    try {
      await retryWhileBusy('migrate', () => migrate(db), busy);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteStore(db, absolute, busy);
  }

  /** One attempt of a store call, repeated while another connection holds the lock. */
  private retry<T>(operation: string, attempt: () => T): Promise<T> {
    return retryWhileBusy(operation, attempt, this.busy);
  }

  async describe(): Promise<string> {
    const version = await this.retry('describe', () => this.db.one<{ v: string }>('SELECT sqlite_version() AS v')?.v ?? 'unknown');
    const mode = String(await this.retry('describe', () => this.db.raw.pragma('journal_mode', { simple: true }))).toUpperCase();
    return `sqlite ${version} (${mode}) at ${this.path}`;
  }

  async backup(destination: string): Promise<void> {
    await backupTo(this.db.raw, resolve(destination));
  }

  async close(): Promise<void> {
    if (this.db.raw.open) this.db.close();
  }

  /* domains ---------------------------------------------------------------- */
  async addDomain(name: string): Promise<Domain> {
    return this.retry('addDomain', () => accounts.addDomain(this.db, name));
  }
  async getDomain(name: string): Promise<Domain | null> {
    return this.retry('getDomain', () => accounts.getDomain(this.db, name));
  }
  async listDomains(): Promise<Domain[]> {
    return this.retry('listDomains', () => accounts.listDomains(this.db));
  }
  async deleteDomain(name: string): Promise<boolean> {
    return this.retry('deleteDomain', () => accounts.deleteDomain(this.db, name));
  }

  /* users ------------------------------------------------------------------ */
  async addUser(user: NewUser): Promise<User> {
    return this.retry('addUser', () => accounts.addUser(this.db, user));
  }
  async getUser(address: string): Promise<User | null> {
    return this.retry('getUser', () => accounts.getUser(this.db, address));
  }
  async getUserById(id: UserId): Promise<User | null> {
    return this.retry('getUserById', () => accounts.getUserById(this.db, id));
  }
  async listUsers(filter?: { domain?: string }): Promise<User[]> {
    return this.retry('listUsers', () => accounts.listUsers(this.db, filter));
  }
  async countUsers(filter?: { domain?: string }): Promise<number> {
    return this.retry('countUsers', () => accounts.countUsers(this.db, filter));
  }
  async updateUser(address: string, patch: UserPatch): Promise<User | null> {
    return this.retry('updateUser', () => accounts.updateUser(this.db, address, patch));
  }
  async deleteUser(address: string): Promise<boolean> {
    return this.retry('deleteUser', () => accounts.deleteUser(this.db, address));
  }

  /* aliases ---------------------------------------------------------------- */
  async addAliasTargets(address: string, targets: string[]): Promise<Alias> {
    return this.retry('addAliasTargets', () => maps.addAliasTargets(this.db, address, targets));
  }
  async getAlias(address: string): Promise<Alias | null> {
    return this.retry('getAlias', () => maps.getAlias(this.db, address));
  }
  async listAliases(filter?: { domain?: string }): Promise<Alias[]> {
    return this.retry('listAliases', () => maps.listAliases(this.db, filter));
  }
  async findAliasesByTarget(target: string): Promise<Alias[]> {
    return this.retry('findAliasesByTarget', () => maps.findAliasesByTarget(this.db, target));
  }
  async removeAlias(address: string, target?: string): Promise<boolean> {
    return this.retry('removeAlias', () => maps.removeAlias(this.db, address, target));
  }

  /* sender-login map ------------------------------------------------------- */
  async addSenderLogin(address: string, login: string): Promise<SenderLogin> {
    return this.retry('addSenderLogin', () => maps.addSenderLogin(this.db, address, login));
  }
  async removeSenderLogin(address: string, login: string): Promise<boolean> {
    return this.retry('removeSenderLogin', () => maps.removeSenderLogin(this.db, address, login));
  }
  async listSenderLogins(filter?: { address?: string; login?: string }): Promise<SenderLogin[]> {
    return this.retry('listSenderLogins', () => maps.listSenderLogins(this.db, filter));
  }

  /* mailboxes -------------------------------------------------------------- */
  async createMailbox(userId: UserId, path: string, options?: NewMailbox): Promise<Mailbox> {
    return this.retry('createMailbox', () => mailboxes.createMailbox(this.db, userId, path, options));
  }
  async getMailbox(userId: UserId, path: string): Promise<Mailbox | null> {
    return this.retry('getMailbox', () => mailboxes.getMailbox(this.db, userId, path));
  }
  async getMailboxById(id: MailboxId): Promise<Mailbox | null> {
    return this.retry('getMailboxById', () => mailboxes.getMailboxById(this.db, id));
  }
  async listMailboxes(userId: UserId): Promise<Mailbox[]> {
    return this.retry('listMailboxes', () => mailboxes.listMailboxes(this.db, userId));
  }
  async renameMailbox(userId: UserId, from: string, to: string): Promise<Mailbox[]> {
    return this.retry('renameMailbox', () => mailboxes.renameMailbox(this.db, userId, from, to));
  }
  async setSubscribed(id: MailboxId, subscribed: boolean): Promise<Mailbox | null> {
    return this.retry('setSubscribed', () => mailboxes.setSubscribed(this.db, id, subscribed));
  }
  async claimRecent(id: MailboxId, upTo: Uid): Promise<Uid> {
    return this.retry('claimRecent', () => mailboxes.claimRecent(this.db, id, upTo) as Uid);
  }
  async raiseUidNext(id: MailboxId, uidNext: Uid): Promise<Mailbox> {
    return this.retry('raiseUidNext', () => mailboxes.raiseUidNext(this.db, id, uidNext));
  }
  async deleteMailbox(id: MailboxId): Promise<boolean> {
    return this.retry('deleteMailbox', () => mailboxes.deleteMailbox(this.db, id));
  }

  /* messages --------------------------------------------------------------- */
  async appendMessage(mailboxId: MailboxId, message: NewMessage): Promise<AppendResult> {
    return this.retry('appendMessage', () => messages.appendMessage(this.db, mailboxId, message));
  }
  async getMessage(mailboxId: MailboxId, uid: Uid): Promise<MessageRecord | null> {
    return this.retry('getMessage', () => messages.getMessage(this.db, mailboxId, uid));
  }
  async getMessageById(id: MessageId): Promise<MessageRecord | null> {
    return this.retry('getMessageById', () => messages.getMessageById(this.db, id));
  }
  async listMessages(mailboxId: MailboxId, query?: MessageQuery): Promise<MessageRecord[]> {
    return this.retry('listMessages', () => messages.listMessages(this.db, mailboxId, query));
  }
  async listMessageFlags(mailboxId: MailboxId, query?: MessageQuery): Promise<MessageFlags[]> {
    return this.retry('listMessageFlags', () => messages.listMessageFlags(this.db, mailboxId, query));
  }
  async countMessages(mailboxId: MailboxId, filter?: MessageCountFilter): Promise<number> {
    return this.retry('countMessages', () => messages.countMessages(this.db, mailboxId, filter));
  }
  async searchFlags(mailboxId: MailboxId, search: FlagSearch): Promise<Uid[]> {
    return this.retry('searchFlags', () => flagSearch.searchFlags(this.db, mailboxId, search));
  }
  async mailboxTotals(mailboxId: MailboxId): Promise<MailboxTotals> {
    return this.retry('mailboxTotals', () => flagSearch.mailboxTotals(this.db, mailboxId));
  }
  async readMessage(message: Pick<MessageRecord, 'parts'>): Promise<Buffer> {
    return this.retry('readMessage', () => blobs.readParts(this.db, message.parts));
  }
  async readMessages(list: readonly Pick<MessageRecord, 'parts'>[]): Promise<Buffer[]> {
    // One read transaction for the batch: each blob read on its own was an implicit transaction, its WAL locks taken and dropped every time.
    return this.retry('readMessages', () => this.db.read(() => list.map((message) => blobs.readParts(this.db, message.parts))));
  }
  async updateFlags(mailboxId: MailboxId, uids: Uid[], update: FlagUpdate): Promise<FlagUpdateResult> {
    return this.retry('updateFlags', () => messages.updateFlags(this.db, mailboxId, uids, update));
  }
  async setMessageMeta(id: MessageId, meta: Record<string, unknown> | null): Promise<void> {
    return this.retry('setMessageMeta', () => messages.setMessageMeta(this.db, id, meta));
  }
  async copyMessages(from: MailboxId, uids: Uid[], to: MailboxId): Promise<CopyResult> {
    return this.retry('copyMessages', () => messages.copyMessages(this.db, from, uids, to));
  }
  async moveMessages(from: MailboxId, uids: Uid[], to: MailboxId): Promise<CopyResult> {
    return this.retry('moveMessages', () => messages.moveMessages(this.db, from, uids, to));
  }
  async expungeMessages(mailboxId: MailboxId, uids: Uid[]): Promise<Uid[]> {
    return this.retry('expungeMessages', () => messages.expungeMessages(this.db, mailboxId, uids));
  }
  async readJournal(mailboxId: MailboxId, since: ModSeq, limit?: number): Promise<JournalEntry[]> {
    return this.retry('readJournal', () => messages.readJournal(this.db, mailboxId, since, limit));
  }
  pruneJournal(before: Date): Promise<number> {
    return messages.pruneJournal(this.db, before, (operation, attempt) => this.retry(operation, attempt));
  }

  /* blobs ------------------------------------------------------------------ */
  async putBlob(data: Buffer): Promise<BlobHash> {
    const part = blobs.hashPart(data);
    await this.retry('putBlob', () => blobs.putBlob(this.db, part));
    return part.hash;
  }
  async getBlob(hash: BlobHash): Promise<Buffer | null> {
    return this.retry('getBlob', () => blobs.getBlob(this.db, hash));
  }
  async blobRefs(hash: BlobHash): Promise<number> {
    return this.retry('blobRefs', () => blobs.blobRefs(this.db, hash));
  }
  async releaseBlob(hash: BlobHash): Promise<void> {
    return this.retry('releaseBlob', () => this.db.write(() => blobs.releaseBlob(this.db, hash)));
  }

  /* outbound queue --------------------------------------------------------- */
  async enqueue(entry: NewQueueEntry): Promise<QueueEntry> {
    return this.retry('enqueue', () => queue.enqueue(this.db, entry));
  }
  async getQueueEntry(id: QueueId): Promise<QueueEntry | null> {
    return this.retry('getQueueEntry', () => queue.getQueueEntry(this.db, id));
  }
  async listQueue(): Promise<QueueEntry[]> {
    return this.retry('listQueue', () => queue.listQueue(this.db));
  }
  async leaseQueueEntries(owner: string, now: Date, leaseMs: number, limit: number): Promise<QueueEntry[]> {
    return this.retry('leaseQueueEntries', () => queue.leaseQueueEntries(this.db, owner, now, leaseMs, limit));
  }
  async renewQueueLease(id: QueueId, owner: string, until: Date): Promise<boolean> {
    return this.retry('renewQueueLease', () => queue.renewQueueLease(this.db, id, owner, until));
  }
  async updateQueueEntry(id: QueueId, patch: QueueEntryPatch, owner: string | null): Promise<QueueEntry | null> {
    return this.retry('updateQueueEntry', () => queue.updateQueueEntry(this.db, id, patch, owner));
  }
  async setQueueHeld(id: QueueId, held: boolean): Promise<QueueEntry | null> {
    return this.retry('setQueueHeld', () => queue.setQueueHeld(this.db, id, held));
  }
  async flushQueue(now: Date): Promise<number> {
    return this.retry('flushQueue', () => queue.flushQueue(this.db, now));
  }
  async deleteQueueEntry(id: QueueId): Promise<boolean> {
    return this.retry('deleteQueueEntry', () => queue.deleteQueueEntry(this.db, id));
  }

  /* DKIM keys -------------------------------------------------------------- */
  async addDkimKey(key: NewDkimKey): Promise<DkimKey> {
    return this.retry('addDkimKey', () => dkim.addDkimKey(this.db, key));
  }
  async listDkimKeys(domain: string): Promise<DkimKey[]> {
    return this.retry('listDkimKeys', () => dkim.listDkimKeys(this.db, domain));
  }
  async updateDkimKey(
    domain: string,
    selector: string,
    patch: DkimKeyPatch,
  ): Promise<DkimKey | null> {
    return this.retry('updateDkimKey', () => dkim.updateDkimKey(this.db, domain, selector, patch));
  }
  async deleteDkimKey(domain: string, selector: string): Promise<boolean> {
    return this.retry('deleteDkimKey', () => dkim.deleteDkimKey(this.db, domain, selector));
  }

  /* Login throttling ------------------------------------------------------- */
  async recordAuthFailure(key: string, now: Date, windowMs: number): Promise<AuthThrottleState> {
    return authThrottle.recordAuthFailure(this.db, key, now, windowMs);
  }
  async getAuthThrottle(key: string, now: Date, windowMs: number): Promise<AuthThrottleState> {
    return authThrottle.getAuthThrottle(this.db, key, now, windowMs);
  }
  async banAuth(key: string, until: Date): Promise<void> {
    authThrottle.banAuth(this.db, key, until);
  }
  async clearAuthFailures(key: string): Promise<void> {
    authThrottle.clearAuthFailures(this.db, key);
  }
  async liftAuthBan(key: string): Promise<void> {
    authThrottle.liftAuthBan(this.db, key);
  }
  async listAuthBans(now: Date): Promise<AuthBan[]> {
    return authThrottle.listAuthBans(this.db, now);
  }

  /* MTA-STS policy cache and TLS-RPT results ------------------------------ */
  async getMtaStsPolicy(domain: string): Promise<MtaStsCacheEntry | null> {
    return this.retry('getMtaStsPolicy', () => outboundTls.getMtaStsPolicy(this.db, domain));
  }
  async putMtaStsPolicy(entry: MtaStsCacheEntry): Promise<void> {
    return this.retry('putMtaStsPolicy', () => outboundTls.putMtaStsPolicy(this.db, entry));
  }
  async recordTlsResult(result: TlsResult): Promise<void> {
    return this.retry('recordTlsResult', () => outboundTls.recordTlsResult(this.db, result));
  }
  async listTlsResults(day?: string): Promise<TlsResultCount[]> {
    return this.retry('listTlsResults', () => outboundTls.listTlsResults(this.db, day));
  }
  async listTlsResultDays(): Promise<string[]> {
    return this.retry('listTlsResultDays', () => outboundTls.listTlsResultDays(this.db));
  }
  async deleteTlsResults(day: string, policyDomain: string): Promise<number> {
    return this.retry('deleteTlsResults', () => outboundTls.deleteTlsResults(this.db, day, policyDomain));
  }

  /* DMARC aggregate report counts ---------------------------------------------- */
  async recordDmarcResult(result: DmarcResult): Promise<void> {
    return this.retry('recordDmarcResult', () => dmarcResults.recordDmarcResult(this.db, result));
  }
  async listDmarcResults(day?: string): Promise<DmarcResultCount[]> {
    return this.retry('listDmarcResults', () => dmarcResults.listDmarcResults(this.db, day));
  }
  async listDmarcResultDays(): Promise<string[]> {
    return this.retry('listDmarcResultDays', () => dmarcResults.listDmarcResultDays(this.db));
  }
  async deleteDmarcResults(day: string, policyDomain: string): Promise<number> {
    return this.retry('deleteDmarcResults', () => dmarcResults.deleteDmarcResults(this.db, day, policyDomain));
  }

  /* Sieve scripts and the vacation memory ------------------------------------ */
  async putSieveScript(userId: UserId, name: string, content: string): Promise<SieveScriptRecord> {
    return this.retry('putSieveScript', () => sieve.putSieveScript(this.db, userId, name, content));
  }
  async getSieveScript(userId: UserId, name: string): Promise<SieveScriptRecord | null> {
    return this.retry('getSieveScript', () => sieve.getSieveScript(this.db, userId, name));
  }
  async listSieveScripts(userId: UserId): Promise<SieveScriptRecord[]> {
    return this.retry('listSieveScripts', () => sieve.listSieveScripts(this.db, userId));
  }
  async getActiveSieveScript(userId: UserId): Promise<SieveScriptRecord | null> {
    return this.retry('getActiveSieveScript', () => sieve.getActiveSieveScript(this.db, userId));
  }
  async setActiveSieveScript(userId: UserId, name: string | null): Promise<boolean> {
    return this.retry('setActiveSieveScript', () => sieve.setActiveSieveScript(this.db, userId, name));
  }
  async renameSieveScript(userId: UserId, from: string, to: string): Promise<boolean> {
    return this.retry('renameSieveScript', () => sieve.renameSieveScript(this.db, userId, from, to));
  }
  async deleteSieveScript(userId: UserId, name: string): Promise<SieveDeleteResult> {
    return this.retry('deleteSieveScript', () => sieve.deleteSieveScript(this.db, userId, name));
  }
  async claimVacationReply(userId: UserId, handle: string, sender: string, now: Date, until: Date): Promise<boolean> {
    return this.retry('claimVacationReply', () => sieve.claimVacationReply(this.db, userId, handle, sender, now, until));
  }
}
