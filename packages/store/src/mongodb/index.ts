import { MongoClient } from 'mongodb';
import type { CommandStartedEvent, MongoClientOptions } from 'mongodb';
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
import { SequenceAllocator } from './allocator.js';
import { BlobStore } from './blobs.js';
import { createIndexes, openCollections } from './collections.js';
import type { Collections } from './collections.js';
import { Directory } from './directory.js';
import { AuthThrottleStore } from './auth-throttle.js';
import { DkimStore } from './dkim.js';
import { OutboundTlsStore } from './outbound-tls.js';
import { DmarcResultStore } from './dmarc-results.js';
import { backfillSeen } from './flag-search.js';
import { Journal } from './journal.js';
import { MailboxStore } from './mailboxes.js';
import { MessageStore } from './messages.js';
import { startNeverChangedMailboxesAtOne } from './modseq-start.js';
import { QueueStore } from './queue.js';
import { SieveStore } from './sieve.js';
import { displayUrl } from './url.js';
import { StoreError } from '../errors.js';

/**
 * The MongoDB backend. It relies only on single-document atomicity (no
 * multi-document transactions: a standalone MongoDB has none, and the test
 * server's do not isolate; an insertMany or updateMany counts as that many
 * separate writes), so each part keeps its invariants by the order of its
 * writes and by compare-and-set updates; see allocator.ts, appender.ts,
 * blobs.ts, journal.ts and queue.ts.
 */
export class MongoStore implements Store {
  readonly backend = 'mongodb';

  private readonly directory: Directory;
  private readonly blobs: BlobStore;
  private readonly messages: MessageStore;
  private readonly mailboxes: MailboxStore;
  private readonly queue: QueueStore;
  private readonly dkim: DkimStore;
  private readonly authThrottle: AuthThrottleStore;
  private readonly outboundTls: OutboundTlsStore;
  private readonly dmarcResults: DmarcResultStore;
  private readonly sieve: SieveStore;

  private constructor(
    private readonly client: MongoClient,
    private readonly url: string,
    collections: Collections,
  ) {
    const journal = new Journal(collections.journal);
    this.directory = new Directory(collections);
    this.blobs = new BlobStore(collections);
    this.messages = new MessageStore(collections, this.blobs, new SequenceAllocator(collections.mailboxes), journal, this.directory);
    this.mailboxes = new MailboxStore(collections, this.messages, journal);
    this.queue = new QueueStore(collections, this.blobs);
    this.dkim = new DkimStore(collections);
    this.authThrottle = new AuthThrottleStore(collections);
    this.outboundTls = new OutboundTlsStore(collections);
    this.dmarcResults = new DmarcResultStore(collections);
    this.sieve = new SieveStore(collections);
  }

  /**
   * Creates the indexes and brings old documents up to date, then connects to `url` (which names the database) for work.
   * `onCommand` sees every command the store sends (tests check that each query has an index).
   */
  static async open(url: string, onCommand?: (event: CommandStartedEvent) => void): Promise<MongoStore> {
    const builder = new MongoClient(url, { ...clientOptions(url), socketTimeoutMS: 0 });
    try {
      await builder.connect();
      await createIndexes(builder.db());
      await startNeverChangedMailboxesAtOne(builder.db());
      await backfillSeen(builder.db());
    } finally {
      await builder.close();
    }
    const client = new MongoClient(url, { ...clientOptions(url), monitorCommands: onCommand !== undefined });
    if (onCommand) client.on('commandStarted', onCommand);
    await client.connect();
    return new MongoStore(client, url, openCollections(client.db()));
  }

  async backup(): Promise<void> {
    // No online copy through the driver is consistent across collections; mongodump --oplog is.
    throw new StoreError('unsupported', 'the mongodb backend is backed up with MongoDB\'s tools: mongodump --oplog --uri URL --archive=FILE (restore: mongorestore --oplogReplay --archive=FILE)');
  }

  async describe(): Promise<string> {
    const info = await this.client.db().admin().command({ buildInfo: 1 });
    return `mongodb ${String(info.version)} at ${displayUrl(this.url)}`;
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /* domains ---------------------------------------------------------------- */
  addDomain(name: string): Promise<Domain> {
    return this.directory.addDomain(name);
  }
  getDomain(name: string): Promise<Domain | null> {
    return this.directory.getDomain(name);
  }
  listDomains(): Promise<Domain[]> {
    return this.directory.listDomains();
  }
  deleteDomain(name: string): Promise<boolean> {
    return this.directory.deleteDomain(name);
  }

  /* users ------------------------------------------------------------------ */
  addUser(user: NewUser): Promise<User> {
    return this.directory.addUser(user);
  }
  getUser(address: string): Promise<User | null> {
    return this.directory.getUser(address);
  }
  getUserById(id: UserId): Promise<User | null> {
    return this.directory.getUserById(id);
  }
  listUsers(filter?: { domain?: string }): Promise<User[]> {
    return this.directory.listUsers(filter);
  }
  countUsers(filter?: { domain?: string }): Promise<number> {
    return this.directory.countUsers(filter);
  }
  updateUser(address: string, patch: UserPatch): Promise<User | null> {
    return this.directory.updateUser(address, patch);
  }
  async deleteUser(address: string): Promise<boolean> {
    const user = await this.directory.getUser(address);
    if (!user) return false;
    for (const mailbox of await this.mailboxes.list(user.id)) await this.mailboxes.delete(mailbox.id);
    await this.sieve.deleteUser(user.id);
    return this.directory.deleteUserRecord(user.id);
  }

  /* aliases ---------------------------------------------------------------- */
  addAliasTargets(address: string, targets: string[]): Promise<Alias> {
    return this.directory.addAliasTargets(address, targets);
  }
  getAlias(address: string): Promise<Alias | null> {
    return this.directory.getAlias(address);
  }
  listAliases(filter?: { domain?: string }): Promise<Alias[]> {
    return this.directory.listAliases(filter);
  }
  findAliasesByTarget(target: string): Promise<Alias[]> {
    return this.directory.findAliasesByTarget(target);
  }
  removeAlias(address: string, target?: string): Promise<boolean> {
    return this.directory.removeAlias(address, target);
  }

  /* sender-login map ------------------------------------------------------- */
  addSenderLogin(address: string, login: string): Promise<SenderLogin> {
    return this.directory.addSenderLogin(address, login);
  }
  removeSenderLogin(address: string, login: string): Promise<boolean> {
    return this.directory.removeSenderLogin(address, login);
  }
  listSenderLogins(filter?: { address?: string; login?: string }): Promise<SenderLogin[]> {
    return this.directory.listSenderLogins(filter);
  }

  /* mailboxes -------------------------------------------------------------- */
  createMailbox(userId: UserId, path: string, options?: NewMailbox): Promise<Mailbox> {
    return this.mailboxes.create(userId, path, options);
  }
  getMailbox(userId: UserId, path: string): Promise<Mailbox | null> {
    return this.mailboxes.get(userId, path);
  }
  getMailboxById(id: MailboxId): Promise<Mailbox | null> {
    return this.mailboxes.getById(id);
  }
  listMailboxes(userId: UserId): Promise<Mailbox[]> {
    return this.mailboxes.list(userId);
  }
  renameMailbox(userId: UserId, from: string, to: string): Promise<Mailbox[]> {
    return this.mailboxes.rename(userId, from, to);
  }
  setSubscribed(id: MailboxId, subscribed: boolean): Promise<Mailbox | null> {
    return this.mailboxes.setSubscribed(id, subscribed);
  }
  async claimRecent(id: MailboxId, upTo: Uid): Promise<Uid> {
    return (await this.mailboxes.claimRecent(id, upTo)) as Uid;
  }
  raiseUidNext(id: MailboxId, uidNext: Uid): Promise<Mailbox> {
    return this.mailboxes.raiseUidNext(id, uidNext);
  }
  deleteMailbox(id: MailboxId): Promise<boolean> {
    return this.mailboxes.delete(id);
  }

  /* messages --------------------------------------------------------------- */
  appendMessage(mailboxId: MailboxId, message: NewMessage): Promise<AppendResult> {
    return this.messages.append(mailboxId, message);
  }
  getMessage(mailboxId: MailboxId, uid: Uid): Promise<MessageRecord | null> {
    return this.messages.get(mailboxId, uid);
  }
  getMessageById(id: MessageId): Promise<MessageRecord | null> {
    return this.messages.getById(id);
  }
  listMessages(mailboxId: MailboxId, query?: MessageQuery): Promise<MessageRecord[]> {
    return this.messages.list(mailboxId, query);
  }
  listMessageFlags(mailboxId: MailboxId, query?: MessageQuery): Promise<MessageFlags[]> {
    return this.messages.listFlags(mailboxId, query);
  }
  countMessages(mailboxId: MailboxId, filter?: MessageCountFilter): Promise<number> {
    return this.messages.count(mailboxId, filter);
  }
  searchFlags(mailboxId: MailboxId, search: FlagSearch): Promise<Uid[]> {
    return this.messages.searchFlags(mailboxId, search) as Promise<Uid[]>;
  }
  mailboxTotals(mailboxId: MailboxId): Promise<MailboxTotals> {
    return this.messages.totals(mailboxId);
  }
  readMessage(message: Pick<MessageRecord, 'parts'>): Promise<Buffer> {
    return this.messages.read(message);
  }
  readMessages(list: readonly Pick<MessageRecord, 'parts'>[]): Promise<Buffer[]> {
    return this.messages.readMany(list);
  }
  updateFlags(mailboxId: MailboxId, uids: Uid[], update: FlagUpdate): Promise<FlagUpdateResult> {
    return this.messages.updateFlags(mailboxId, uids, update);
  }
  setMessageMeta(id: MessageId, meta: Record<string, unknown> | null): Promise<void> {
    return this.messages.setMeta(id, meta);
  }
  copyMessages(from: MailboxId, uids: Uid[], to: MailboxId): Promise<CopyResult> {
    return this.messages.copy(from, uids, to);
  }
  moveMessages(from: MailboxId, uids: Uid[], to: MailboxId): Promise<CopyResult> {
    return this.messages.move(from, uids, to);
  }
  expungeMessages(mailboxId: MailboxId, uids: Uid[]): Promise<Uid[]> {
    return this.messages.expunge(mailboxId, uids);
  }
  readJournal(mailboxId: MailboxId, since: ModSeq, limit?: number): Promise<JournalEntry[]> {
    return this.messages.readJournal(mailboxId, since, limit);
  }
  pruneJournal(before: Date): Promise<number> {
    return this.mailboxes.pruneJournal(before);
  }

  /* blobs ------------------------------------------------------------------ */
  putBlob(data: Buffer): Promise<BlobHash> {
    return this.blobs.put(data);
  }
  getBlob(hash: BlobHash): Promise<Buffer | null> {
    return this.blobs.get(hash);
  }
  blobRefs(hash: BlobHash): Promise<number> {
    return this.blobs.refs(hash);
  }
  releaseBlob(hash: BlobHash): Promise<void> {
    return this.blobs.release(hash);
  }

  /* outbound queue --------------------------------------------------------- */
  enqueue(entry: NewQueueEntry): Promise<QueueEntry> {
    return this.queue.enqueue(entry);
  }
  getQueueEntry(id: QueueId): Promise<QueueEntry | null> {
    return this.queue.get(id);
  }
  listQueue(): Promise<QueueEntry[]> {
    return this.queue.list();
  }
  leaseQueueEntries(owner: string, now: Date, leaseMs: number, limit: number): Promise<QueueEntry[]> {
    return this.queue.lease(owner, now, leaseMs, limit);
  }
  renewQueueLease(id: QueueId, owner: string, until: Date): Promise<boolean> {
    return this.queue.renew(id, owner, until);
  }
  updateQueueEntry(id: QueueId, patch: QueueEntryPatch, owner: string | null): Promise<QueueEntry | null> {
    return this.queue.update(id, patch, owner);
  }
  setQueueHeld(id: QueueId, held: boolean): Promise<QueueEntry | null> {
    return this.queue.setHeld(id, held);
  }
  flushQueue(now: Date): Promise<number> {
    return this.queue.flush(now);
  }
  deleteQueueEntry(id: QueueId): Promise<boolean> {
    return this.queue.delete(id);
  }

  /* DKIM keys -------------------------------------------------------------- */
  addDkimKey(key: NewDkimKey): Promise<DkimKey> {
    return this.dkim.add(key);
  }
  listDkimKeys(domain: string): Promise<DkimKey[]> {
    return this.dkim.list(domain);
  }
  updateDkimKey(domain: string, selector: string, patch: DkimKeyPatch): Promise<DkimKey | null> {
    return this.dkim.update(domain, selector, patch);
  }
  deleteDkimKey(domain: string, selector: string): Promise<boolean> {
    return this.dkim.delete(domain, selector);
  }

  /* Login throttling ------------------------------------------------------- */
  recordAuthFailure(key: string, now: Date, windowMs: number): Promise<AuthThrottleState> {
    return this.authThrottle.recordFailure(key, now, windowMs);
  }
  getAuthThrottle(key: string, now: Date, windowMs: number): Promise<AuthThrottleState> {
    return this.authThrottle.get(key, now, windowMs);
  }
  banAuth(key: string, until: Date): Promise<void> {
    return this.authThrottle.ban(key, until);
  }
  clearAuthFailures(key: string): Promise<void> {
    return this.authThrottle.clearFailures(key);
  }
  liftAuthBan(key: string): Promise<void> {
    return this.authThrottle.lift(key);
  }
  listAuthBans(now: Date): Promise<AuthBan[]> {
    return this.authThrottle.listBans(now);
  }

  /* MTA-STS policy cache and TLS-RPT results ------------------------------ */
  getMtaStsPolicy(domain: string): Promise<MtaStsCacheEntry | null> {
    return this.outboundTls.getPolicy(domain);
  }
  putMtaStsPolicy(entry: MtaStsCacheEntry): Promise<void> {
    return this.outboundTls.putPolicy(entry);
  }
  recordTlsResult(result: TlsResult): Promise<void> {
    return this.outboundTls.record(result);
  }
  listTlsResults(day?: string): Promise<TlsResultCount[]> {
    return this.outboundTls.list(day);
  }
  listTlsResultDays(): Promise<string[]> {
    return this.outboundTls.days();
  }
  deleteTlsResults(day: string, policyDomain: string): Promise<number> {
    return this.outboundTls.delete(day, policyDomain);
  }

  /* DMARC aggregate report counts ---------------------------------------------- */
  recordDmarcResult(result: DmarcResult): Promise<void> {
    return this.dmarcResults.record(result);
  }
  listDmarcResults(day?: string): Promise<DmarcResultCount[]> {
    return this.dmarcResults.list(day);
  }
  listDmarcResultDays(): Promise<string[]> {
    return this.dmarcResults.days();
  }
  deleteDmarcResults(day: string, policyDomain: string): Promise<number> {
    return this.dmarcResults.delete(day, policyDomain);
  }

  /* Sieve scripts and the vacation memory ------------------------------------ */
  putSieveScript(userId: UserId, name: string, content: string): Promise<SieveScriptRecord> {
    return this.sieve.put(userId, name, content);
  }
  getSieveScript(userId: UserId, name: string): Promise<SieveScriptRecord | null> {
    return this.sieve.get(userId, name);
  }
  listSieveScripts(userId: UserId): Promise<SieveScriptRecord[]> {
    return this.sieve.list(userId);
  }
  getActiveSieveScript(userId: UserId): Promise<SieveScriptRecord | null> {
    return this.sieve.active(userId);
  }
  setActiveSieveScript(userId: UserId, name: string | null): Promise<boolean> {
    return this.sieve.setActive(userId, name);
  }
  renameSieveScript(userId: UserId, from: string, to: string): Promise<boolean> {
    return this.sieve.rename(userId, from, to);
  }
  deleteSieveScript(userId: UserId, name: string): Promise<SieveDeleteResult> {
    return this.sieve.delete(userId, name);
  }
  claimVacationReply(userId: UserId, handle: string, sender: string, now: Date, until: Date): Promise<boolean> {
    return this.sieve.claimVacationReply(userId, handle, sender, now, until);
  }
}

/**
 * How long one request may wait on its connection for the server's answer.
 * Without it the driver waits forever: a server (or a network path) that
 * stops answering one connection would leave an IMAP command, an LMTP
 * delivery or a queue run waiting with it, while everything else goes on.
 * Past it the connection is closed and the request fails as a network error,
 * which the driver retries once on a fresh connection (retryReads and
 * retryWrites are on by default). Every query is indexed, so a minute is
 * far beyond any honest answer; the URL may set its own.
 */
const SOCKET_TIMEOUT_MS = 60_000;

/**
 * "A method resolves only once its change is durable": acknowledged by a
 * majority and journaled, unless the connection string chooses otherwise.
 */
function clientOptions(url: string): MongoClientOptions {
  const options: MongoClientOptions = { ignoreUndefined: true };
  if (!/[?&](w|journal|j)=/i.test(url)) options.writeConcern = { w: 'majority', journal: true };
  if (!/[?&](socketTimeoutMS|timeoutMS)=/i.test(url)) options.socketTimeoutMS = SOCKET_TIMEOUT_MS;
  return options;
}
