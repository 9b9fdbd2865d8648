import type {
  Alias,
  AuthBan,
  AuthThrottleState,
  MtaStsCacheEntry,
  TlsResult,
  TlsResultCount,
  DmarcResult,
  DmarcResultCount,
  AppendResult,
  BlobHash,
  CopyResult,
  DkimKey,
  DkimKeyPatch,
  Domain,
  FlagSearch,
  FlagUpdate,
  FlagUpdateResult,
  JournalEntry,
  Mailbox,
  MailboxId,
  MailboxTotals,
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
} from './types.js';

/**
 * The one interface every part of Postern stores through. Each backend
 * (sqlite, mongodb) implements all of it and passes the conformance suite.
 *
 * Rules every backend keeps:
 * - Addresses and domains are compared case-insensitively; they are stored
 *   normalised (lower-case) so that unique indexes enforce uniqueness.
 * - Unique constraints are enforced by the database; a violation is a
 *   `StoreConflictError`, never a read-then-write race.
 * - UID and MODSEQ allocation is atomic per mailbox under any concurrency,
 *   across processes and nodes.
 * - A method resolves only once its change is durable.
 */
export interface Store {
  /** `sqlite` or `mongodb`. */
  readonly backend: 'sqlite' | 'mongodb';
  /** One line saying what this store runs on (file path, server and version). */
  describe(): Promise<string>;
  close(): Promise<void>;
  /**
   * A consistent copy of the whole store in the file `destination` (mode
   * 0600), taken while the store serves. StoreError 'unsupported' for a
   * backend whose own tools do it (MongoDB: mongodump --oplog).
   */
  backup(destination: string): Promise<void>;

  /* domains ---------------------------------------------------------------- */
  addDomain(name: string): Promise<Domain>;
  getDomain(name: string): Promise<Domain | null>;
  listDomains(): Promise<Domain[]>;
  /** Removes the domain record only; callers decide what to do with its users first. */
  deleteDomain(name: string): Promise<boolean>;

  /* users ------------------------------------------------------------------ */
  addUser(user: NewUser): Promise<User>;
  getUser(address: string): Promise<User | null>;
  getUserById(id: UserId): Promise<User | null>;
  listUsers(filter?: { domain?: string }): Promise<User[]>;
  countUsers(filter?: { domain?: string }): Promise<number>;
  updateUser(address: string, patch: UserPatch): Promise<User | null>;
  /** Deletes the user with its mailboxes, messages (releasing their blobs) and journal. */
  deleteUser(address: string): Promise<boolean>;

  /* aliases (virtual_alias_maps) ------------------------------------------ */
  /** Creates the alias or adds targets to it; targets already present are kept once. */
  addAliasTargets(address: string, targets: string[]): Promise<Alias>;
  getAlias(address: string): Promise<Alias | null>;
  listAliases(filter?: { domain?: string }): Promise<Alias[]>;
  /** Aliases that have `target` among their targets (for ownership and loop checks). */
  findAliasesByTarget(target: string): Promise<Alias[]>;
  /** Without a target: removes the alias. With one: removes that target (and the alias when none remain). */
  removeAlias(address: string, target?: string): Promise<boolean>;

  /* sender-login map (smtpd_sender_login_maps) ----------------------------- */
  addSenderLogin(address: string, login: string): Promise<SenderLogin>;
  removeSenderLogin(address: string, login: string): Promise<boolean>;
  listSenderLogins(filter?: { address?: string; login?: string }): Promise<SenderLogin[]>;

  /* mailboxes -------------------------------------------------------------- */
  createMailbox(userId: UserId, path: string, options?: NewMailbox): Promise<Mailbox>;
  getMailbox(userId: UserId, path: string): Promise<Mailbox | null>;
  getMailboxById(id: MailboxId): Promise<Mailbox | null>;
  listMailboxes(userId: UserId): Promise<Mailbox[]>;
  /** Renames `from` and every mailbox below it (`from/…`); returns the renamed mailboxes. */
  renameMailbox(userId: UserId, from: string, to: string): Promise<Mailbox[]>;
  setSubscribed(id: MailboxId, subscribed: boolean): Promise<Mailbox | null>;
  /**
   * RFC 3501 §2.3.2: raises the mailbox's \Recent mark to `upTo` (never lowers it), atomically
   * across sessions and processes, and returns the mark before: the UIDs above it up to `upTo`
   * are \Recent for the caller's session alone. Throws StoreNotFoundError for a missing mailbox.
   */
  claimRecent(id: MailboxId, upTo: Uid): Promise<Uid>;
  /**
   * RFC 3501 §2.3.1.1: raises UIDNEXT to `uidNext` (never lowers it), atomically with the UID
   * allocation, so the next append gets that UID: how an import keeps another server's UIDs
   * (UIDs need not be contiguous). Returns the mailbox; throws StoreNotFoundError if missing.
   */
  raiseUidNext(id: MailboxId, uidNext: Uid): Promise<Mailbox>;
  /** Deletes the mailbox and its messages (releasing blobs and user storage). */
  deleteMailbox(id: MailboxId): Promise<boolean>;

  /* messages --------------------------------------------------------------- */
  /** Stores the parts (de-duplicated by hash), allocates UID and MODSEQ atomically, journals `append`. */
  appendMessage(mailboxId: MailboxId, message: NewMessage): Promise<AppendResult>;
  getMessage(mailboxId: MailboxId, uid: Uid): Promise<MessageRecord | null>;
  getMessageById(id: MessageId): Promise<MessageRecord | null>;
  /** Messages in UID order. */
  listMessages(mailboxId: MailboxId, query?: MessageQuery): Promise<MessageRecord[]>;
  /** listMessages' UIDs, MODSEQs and flags alone, in UID order (the same query). */
  listMessageFlags(mailboxId: MailboxId, query?: MessageQuery): Promise<MessageFlags[]>;
  countMessages(mailboxId: MailboxId, filter?: MessageCountFilter): Promise<number>;
  /**
   * The UIDs, ascending, of the messages whose flags meet every condition, within the range if
   * given: answered from the backend's flag indexes (\Seen and \Deleted have their own), never
   * by reading the records. What SEARCH UNSEEN, DELETED, KEYWORD x … run on (RFC 3501 §6.4.4).
   */
  searchFlags(mailboxId: MailboxId, search: FlagSearch): Promise<Uid[]>;
  /** STATUS SIZE and DELETED (RFC 8438 §3, RFC 9051 §6.3.11) summed by the database. */
  mailboxTotals(mailboxId: MailboxId): Promise<MailboxTotals>;
  /** The message's bytes (its parts concatenated). */
  readMessage(message: Pick<MessageRecord, 'parts'>): Promise<Buffer>;
  /** Several messages' bytes in one store round trip (a batch of pipelined FETCHes), in the order given. */
  readMessages(messages: readonly Pick<MessageRecord, 'parts'>[]): Promise<Buffer[]>;
  /** Changes flags on the selected messages; each changed message gets a new MODSEQ, journaled `flags`. */
  updateFlags(mailboxId: MailboxId, uids: Uid[], update: FlagUpdate): Promise<FlagUpdateResult>;
  setMessageMeta(id: MessageId, meta: Record<string, unknown> | null): Promise<void>;
  /** Copies messages (sharing blobs) to another mailbox of the same user, new UIDs in source order. */
  copyMessages(from: MailboxId, uids: Uid[], to: MailboxId): Promise<CopyResult>;
  /** RFC 6851 MOVE: copy, then expunge from the source, each step journaled. */
  moveMessages(from: MailboxId, uids: Uid[], to: MailboxId): Promise<CopyResult>;
  /** Removes messages, journals one `expunge` per UID, releases blobs and user storage. Returns the expunged UIDs. */
  expungeMessages(mailboxId: MailboxId, uids: Uid[]): Promise<Uid[]>;
  /**
   * Journal entries with modseq > since, in modseq order. Throws JournalPrunedError when
   * entries after `since` were pruned (pruneJournal): the caller must resync from the messages.
   */
  readJournal(mailboxId: MailboxId, since: ModSeq, limit?: number): Promise<JournalEntry[]>;
  /**
   * Journal retention: deletes, per mailbox, the entries written before `before` — always
   * a prefix in MODSEQ order, and never the mailbox's newest entry (openers check that the
   * journal reached the highest MODSEQ). Returns how many entries went.
   */
  pruneJournal(before: Date): Promise<number>;

  /* blobs (content-addressed, reference-counted) --------------------------- */
  /** Stores the bytes once by SHA-256 and adds one reference. */
  putBlob(data: Buffer): Promise<BlobHash>;
  getBlob(hash: BlobHash): Promise<Buffer | null>;
  /** Reference count of a blob (0 when absent): for tests and diagnostics. */
  blobRefs(hash: BlobHash): Promise<number>;
  /** Drops one reference; the blob is deleted when none remain. */
  releaseBlob(hash: BlobHash): Promise<void>;

  /* outbound queue --------------------------------------------------------- */
  enqueue(entry: NewQueueEntry): Promise<QueueEntry>;
  getQueueEntry(id: QueueId): Promise<QueueEntry | null>;
  listQueue(): Promise<QueueEntry[]>;
  /**
   * Atomically leases up to `limit` entries that are due (nextAttemptAt ≤ now),
   * not held, and not leased by anyone else (or whose lease expired). Two callers
   * never get the same entry while a lease is valid.
   */
  leaseQueueEntries(owner: string, now: Date, leaseMs: number, limit: number): Promise<QueueEntry[]>;
  /**
   * Extends a lease its owner still holds to `until` (a delivery that runs
   * long); false when another worker has taken the entry or it is gone.
   */
  renewQueueLease(id: QueueId, owner: string, until: Date): Promise<boolean>;
  /** Updates an entry and frees its lease, if `owner` still holds it (or owner is null). */
  updateQueueEntry(id: QueueId, patch: QueueEntryPatch, owner: string | null): Promise<QueueEntry | null>;
  setQueueHeld(id: QueueId, held: boolean): Promise<QueueEntry | null>;
  /** Makes every entry due now (`postern queue flush`). Returns how many. */
  flushQueue(now: Date): Promise<number>;
  /** Deletes the entry and releases its blobs. */
  deleteQueueEntry(id: QueueId): Promise<boolean>;

  /* DKIM keys -------------------------------------------------------------- */
  addDkimKey(key: NewDkimKey): Promise<DkimKey>;
  listDkimKeys(domain: string): Promise<DkimKey[]>;
  updateDkimKey(domain: string, selector: string, patch: DkimKeyPatch): Promise<DkimKey | null>;
  deleteDkimKey(domain: string, selector: string): Promise<boolean>;

  /* Login throttling: failures and bans every process and node shares --- */
  /**
   * Counts one failed login against `key` and returns the state after it. The
   * window opens at a key's first failure and lasts `windowMs`; a failure after
   * it starts a new one. Keys whose window and ban have both passed are removed.
   */
  recordAuthFailure(key: string, now: Date, windowMs: number): Promise<AuthThrottleState>;
  /** The key's failures in its open window and its ban (both as of `now`). */
  getAuthThrottle(key: string, now: Date, windowMs: number): Promise<AuthThrottleState>;
  /** Bans the key until `until`; its failures start again from zero. */
  banAuth(key: string, until: Date): Promise<void>;
  /** Forgets the key's failures (a successful login); a ban stays. */
  clearAuthFailures(key: string): Promise<void>;
  /** Lifts the key's ban and forgets its failures (an administrator's unban). */
  liftAuthBan(key: string): Promise<void>;
  /** Every key banned at `now`, the ban ending soonest first (`postern ban list`). */
  listAuthBans(now: Date): Promise<AuthBan[]>;

  /* MTA-STS policy cache and TLS-RPT results (RFC 8461 §5.1, RFC 8460 §4) */
  /** The policy cached for a domain (expired or not), or null. */
  getMtaStsPolicy(domain: string): Promise<MtaStsCacheEntry | null>;
  /** Replaces the domain's cached policy. */
  putMtaStsPolicy(entry: MtaStsCacheEntry): Promise<void>;
  /** Counts one session with this result (an atomic add: concurrent writers are each counted). */
  recordTlsResult(result: TlsResult): Promise<void>;
  /** Every count of a day, or of every day when day is omitted. */
  listTlsResults(day?: string): Promise<TlsResultCount[]>;
  /** The days with counts, oldest first. */
  listTlsResultDays(): Promise<string[]>;
  /** Forgets a policy domain's counts of a day (its report is sent). Returns how many rows went. */
  deleteTlsResults(day: string, policyDomain: string): Promise<number>;
  /* DMARC aggregate reporting (RFC 7489 §7.2) ---------------------------------- */
  /** Counts one message with this evaluation (an atomic add: concurrent writers are each counted); the published record is replaced by this one. */
  recordDmarcResult(result: DmarcResult): Promise<void>;
  /** Every count of a day, or of every day when day is omitted. */
  listDmarcResults(day?: string): Promise<DmarcResultCount[]>;
  /** The days with counts, oldest first. */
  listDmarcResultDays(): Promise<string[]>;
  /** Forgets a policy domain's counts of a day (its report is sent). Returns how many rows went. */
  deleteDmarcResults(day: string, policyDomain: string): Promise<number>;
  /* Sieve scripts per user (RFC 5804) ---------------------------------------- */
  /** Creates the script or replaces its content; a replaced script keeps its active flag. */
  putSieveScript(userId: UserId, name: string, content: string): Promise<SieveScriptRecord>;
  getSieveScript(userId: UserId, name: string): Promise<SieveScriptRecord | null>;
  /** The user's scripts in name order. */
  listSieveScripts(userId: UserId): Promise<SieveScriptRecord[]>;
  getActiveSieveScript(userId: UserId): Promise<SieveScriptRecord | null>;
  /**
   * RFC 5804 §2.8: makes `name` the user's one active script (the others become
   * inactive); null deactivates all. False when no script has that name.
   */
  setActiveSieveScript(userId: UserId, name: string | null): Promise<boolean>;
  /** False when `from` is missing; StoreConflictError when `to` exists (RFC 5804 §2.11.1). */
  renameSieveScript(userId: UserId, from: string, to: string): Promise<boolean>;
  /** RFC 5804 §2.10: the active script is never deleted ('active'). */
  deleteSieveScript(userId: UserId, name: string): Promise<SieveDeleteResult>;

  /* The vacation memory (RFC 5230 §4.2: one reply per sender per period) ----- */
  /**
   * Atomically: when (user, handle, sender) has no reply remembered past `now`,
   * remembers one until `until` and returns true; otherwise false (already answered).
   */
  claimVacationReply(userId: UserId, handle: string, sender: string, now: Date, until: Date): Promise<boolean>;
}
