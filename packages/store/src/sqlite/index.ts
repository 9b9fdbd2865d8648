import { resolve } from 'node:path';
import type { Store } from '../store.js';
import type {
  Alias,
  AppendResult,
  BlobHash,
  CopyResult,
  DkimKey,
  Domain,
  FlagUpdate,
  FlagUpdateResult,
  JournalEntry,
  Mailbox,
  MailboxId,
  MessageId,
  MessageCountFilter,
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
  Uid,
  User,
  UserId,
  UserPatch,
} from '../types.js';
import * as accounts from './accounts.js';
import * as blobs from './blobs.js';
import { backupTo } from './backup.js';
import { SqliteDb } from './db.js';
import * as dkim from './dkim.js';
import * as mailboxes from './mailboxes.js';
import * as maps from './maps.js';
import * as messages from './messages.js';
import * as queue from './queue.js';
import { migrate } from './schema.js';

/**
 * The store in one SQLite file (WAL). Several processes (MTA, mailstore, CLI)
 * may open the same file: every read-modify-write runs under BEGIN IMMEDIATE.
 * better-sqlite3 is synchronous; the methods are async to fit the interface.
 */
export class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;

  private constructor(
    private readonly db: SqliteDb,
    private readonly path: string,
  ) {}

  /** Opens (creating when missing) the database file and brings its schema up to date. */
  static async open(path: string): Promise<SqliteStore> {
    const absolute = path === ':memory:' ? path : resolve(path);
    const db = SqliteDb.open(absolute);
    try {
      migrate(db);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteStore(db, absolute);
  }

  async describe(): Promise<string> {
    const version = this.db.one<{ v: string }>('SELECT sqlite_version() AS v')?.v ?? 'unknown';
    const mode = String(this.db.raw.pragma('journal_mode', { simple: true })).toUpperCase();
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
    return accounts.addDomain(this.db, name);
  }
  async getDomain(name: string): Promise<Domain | null> {
    return accounts.getDomain(this.db, name);
  }
  async listDomains(): Promise<Domain[]> {
    return accounts.listDomains(this.db);
  }
  async deleteDomain(name: string): Promise<boolean> {
    return accounts.deleteDomain(this.db, name);
  }

  /* users ------------------------------------------------------------------ */
  async addUser(user: NewUser): Promise<User> {
    return accounts.addUser(this.db, user);
  }
  async getUser(address: string): Promise<User | null> {
    return accounts.getUser(this.db, address);
  }
  async getUserById(id: UserId): Promise<User | null> {
    return accounts.getUserById(this.db, id);
  }
  async listUsers(filter?: { domain?: string }): Promise<User[]> {
    return accounts.listUsers(this.db, filter);
  }
  async countUsers(filter?: { domain?: string }): Promise<number> {
    return accounts.countUsers(this.db, filter);
  }
  async updateUser(address: string, patch: UserPatch): Promise<User | null> {
    return accounts.updateUser(this.db, address, patch);
  }
  async deleteUser(address: string): Promise<boolean> {
    return accounts.deleteUser(this.db, address);
  }

  /* aliases ---------------------------------------------------------------- */
  async addAliasTargets(address: string, targets: string[]): Promise<Alias> {
    return maps.addAliasTargets(this.db, address, targets);
  }
  async getAlias(address: string): Promise<Alias | null> {
    return maps.getAlias(this.db, address);
  }
  async listAliases(filter?: { domain?: string }): Promise<Alias[]> {
    return maps.listAliases(this.db, filter);
  }
  async findAliasesByTarget(target: string): Promise<Alias[]> {
    return maps.findAliasesByTarget(this.db, target);
  }
  async removeAlias(address: string, target?: string): Promise<boolean> {
    return maps.removeAlias(this.db, address, target);
  }

  /* sender-login map ------------------------------------------------------- */
  async addSenderLogin(address: string, login: string): Promise<SenderLogin> {
    return maps.addSenderLogin(this.db, address, login);
  }
  async removeSenderLogin(address: string, login: string): Promise<boolean> {
    return maps.removeSenderLogin(this.db, address, login);
  }
  async listSenderLogins(filter?: { address?: string; login?: string }): Promise<SenderLogin[]> {
    return maps.listSenderLogins(this.db, filter);
  }

  /* mailboxes -------------------------------------------------------------- */
  async createMailbox(userId: UserId, path: string, options?: NewMailbox): Promise<Mailbox> {
    return mailboxes.createMailbox(this.db, userId, path, options);
  }
  async getMailbox(userId: UserId, path: string): Promise<Mailbox | null> {
    return mailboxes.getMailbox(this.db, userId, path);
  }
  async getMailboxById(id: MailboxId): Promise<Mailbox | null> {
    return mailboxes.getMailboxById(this.db, id);
  }
  async listMailboxes(userId: UserId): Promise<Mailbox[]> {
    return mailboxes.listMailboxes(this.db, userId);
  }
  async renameMailbox(userId: UserId, from: string, to: string): Promise<Mailbox[]> {
    return mailboxes.renameMailbox(this.db, userId, from, to);
  }
  async setSubscribed(id: MailboxId, subscribed: boolean): Promise<Mailbox | null> {
    return mailboxes.setSubscribed(this.db, id, subscribed);
  }
  async claimRecent(id: MailboxId, upTo: Uid): Promise<Uid> {
    return mailboxes.claimRecent(this.db, id, upTo) as Uid;
  }
  async deleteMailbox(id: MailboxId): Promise<boolean> {
    return mailboxes.deleteMailbox(this.db, id);
  }

  /* messages --------------------------------------------------------------- */
  async appendMessage(mailboxId: MailboxId, message: NewMessage): Promise<AppendResult> {
    return messages.appendMessage(this.db, mailboxId, message);
  }
  async getMessage(mailboxId: MailboxId, uid: Uid): Promise<MessageRecord | null> {
    return messages.getMessage(this.db, mailboxId, uid);
  }
  async getMessageById(id: MessageId): Promise<MessageRecord | null> {
    return messages.getMessageById(this.db, id);
  }
  async listMessages(mailboxId: MailboxId, query?: MessageQuery): Promise<MessageRecord[]> {
    return messages.listMessages(this.db, mailboxId, query);
  }
  async countMessages(mailboxId: MailboxId, filter?: MessageCountFilter): Promise<number> {
    return messages.countMessages(this.db, mailboxId, filter);
  }
  async readMessage(message: Pick<MessageRecord, 'parts'>): Promise<Buffer> {
    return blobs.readParts(this.db, message.parts);
  }
  async updateFlags(mailboxId: MailboxId, uids: Uid[], update: FlagUpdate): Promise<FlagUpdateResult> {
    return messages.updateFlags(this.db, mailboxId, uids, update);
  }
  async setMessageMeta(id: MessageId, meta: Record<string, unknown> | null): Promise<void> {
    messages.setMessageMeta(this.db, id, meta);
  }
  async copyMessages(from: MailboxId, uids: Uid[], to: MailboxId): Promise<CopyResult> {
    return messages.copyMessages(this.db, from, uids, to);
  }
  async moveMessages(from: MailboxId, uids: Uid[], to: MailboxId): Promise<CopyResult> {
    return messages.moveMessages(this.db, from, uids, to);
  }
  async expungeMessages(mailboxId: MailboxId, uids: Uid[]): Promise<Uid[]> {
    return messages.expungeMessages(this.db, mailboxId, uids);
  }
  async readJournal(mailboxId: MailboxId, since: ModSeq, limit?: number): Promise<JournalEntry[]> {
    return messages.readJournal(this.db, mailboxId, since, limit);
  }
  pruneJournal(before: Date): Promise<number> {
    return messages.pruneJournal(this.db, before);
  }

  /* blobs ------------------------------------------------------------------ */
  async putBlob(data: Buffer): Promise<BlobHash> {
    const part = blobs.hashPart(data);
    blobs.putBlob(this.db, part);
    return part.hash;
  }
  async getBlob(hash: BlobHash): Promise<Buffer | null> {
    return blobs.getBlob(this.db, hash);
  }
  async blobRefs(hash: BlobHash): Promise<number> {
    return blobs.blobRefs(this.db, hash);
  }
  async releaseBlob(hash: BlobHash): Promise<void> {
    this.db.write(() => blobs.releaseBlob(this.db, hash));
  }

  /* outbound queue --------------------------------------------------------- */
  async enqueue(entry: NewQueueEntry): Promise<QueueEntry> {
    return queue.enqueue(this.db, entry);
  }
  async getQueueEntry(id: QueueId): Promise<QueueEntry | null> {
    return queue.getQueueEntry(this.db, id);
  }
  async listQueue(): Promise<QueueEntry[]> {
    return queue.listQueue(this.db);
  }
  async leaseQueueEntries(owner: string, now: Date, leaseMs: number, limit: number): Promise<QueueEntry[]> {
    return queue.leaseQueueEntries(this.db, owner, now, leaseMs, limit);
  }
  async renewQueueLease(id: QueueId, owner: string, until: Date): Promise<boolean> {
    return queue.renewQueueLease(this.db, id, owner, until);
  }
  async updateQueueEntry(id: QueueId, patch: QueueEntryPatch, owner: string | null): Promise<QueueEntry | null> {
    return queue.updateQueueEntry(this.db, id, patch, owner);
  }
  async setQueueHeld(id: QueueId, held: boolean): Promise<QueueEntry | null> {
    return queue.setQueueHeld(this.db, id, held);
  }
  async flushQueue(now: Date): Promise<number> {
    return queue.flushQueue(this.db, now);
  }
  async deleteQueueEntry(id: QueueId): Promise<boolean> {
    return queue.deleteQueueEntry(this.db, id);
  }

  /* DKIM keys -------------------------------------------------------------- */
  async addDkimKey(key: NewDkimKey): Promise<DkimKey> {
    return dkim.addDkimKey(this.db, key);
  }
  async listDkimKeys(domain: string): Promise<DkimKey[]> {
    return dkim.listDkimKeys(this.db, domain);
  }
  async updateDkimKey(
    domain: string,
    selector: string,
    patch: { active?: boolean; retireAt?: Date | null },
  ): Promise<DkimKey | null> {
    return dkim.updateDkimKey(this.db, domain, selector, patch);
  }
  async deleteDkimKey(domain: string, selector: string): Promise<boolean> {
    return dkim.deleteDkimKey(this.db, domain, selector);
  }
}
