// The records the store keeps. Everything above the store (MTA, mailstore,
// CLI) speaks these types and never sees which backend holds them.

/** A nominal type: a string or number that cannot be confused with another kind. */
type Brand<T, B extends string> = T & { readonly __brand: B };

export type UserId = Brand<string, 'UserId'>;
export type MailboxId = Brand<string, 'MailboxId'>;
export type MessageId = Brand<string, 'MessageId'>;
export type QueueId = Brand<string, 'QueueId'>;
/** Lower-case hex SHA-256 of a blob's bytes: its identity in the blob store. */
export type BlobHash = Brand<string, 'BlobHash'>;
/** RFC 3501 §2.3.1.1: unique identifier, strictly ascending within a mailbox. */
export type Uid = number;
/** RFC 7162 §3.1: mod-sequence, strictly ascending within a mailbox. */
export type ModSeq = number;

export interface Domain {
  /** Lower-case ASCII (A-label) domain name. */
  name: string;
  createdAt: Date;
}

export interface User {
  id: UserId;
  /** Normalised address (lower-cased as a whole, as Postfix folds lookup keys). Unique. */
  address: string;
  domain: string;
  /** `{SCHEME}…` hash; never logged. */
  passwordHash: string;
  name: string | null;
  /** Bytes; 0 means unlimited. */
  quota: number;
  /** Bytes currently stored in the user's mailboxes, maintained by append/expunge. */
  storageUsed: number;
  disabled: boolean;
  createdAt: Date;
}

export interface NewUser {
  address: string;
  passwordHash: string;
  name?: string | null;
  quota?: number;
  disabled?: boolean;
}

export interface UserPatch {
  passwordHash?: string;
  name?: string | null;
  quota?: number;
  disabled?: boolean;
}

/** virtual_alias_maps: one address (or `@domain` for a catch-all) to one or more targets. */
export interface Alias {
  address: string;
  domain: string;
  targets: string[];
  createdAt: Date;
}

/** smtpd_sender_login_maps: `login` (a user address) may send as `address`. */
export interface SenderLogin {
  address: string;
  login: string;
  createdAt: Date;
}

/** RFC 6154 special-use attributes. */
export type SpecialUse = '\\Drafts' | '\\Junk' | '\\Sent' | '\\Trash' | '\\Archive' | '\\All' | '\\Flagged';

export interface Mailbox {
  id: MailboxId;
  userId: UserId;
  /** Full hierarchical name with `/` as the delimiter, e.g. `INBOX`, `Archive/2026`. */
  path: string;
  specialUse: SpecialUse | null;
  subscribed: boolean;
  uidValidity: number;
  /** The UID the next appended message will get. */
  uidNext: Uid;
  /** Highest mod-sequence assigned in this mailbox (NEW_MAILBOX_MODSEQ, 1, when nothing happened yet: RFC 7162 §3.1.1). */
  highestModseq: ModSeq;
  /** Highest UID a session has claimed as its \Recent (RFC 3501 §2.3.2); messages above it are still recent to the next claimer. */
  recentUid: Uid;
  createdAt: Date;
}

export interface NewMailbox {
  specialUse?: SpecialUse | null;
  subscribed?: boolean;
  /**
   * The UIDVALIDITY to keep (RFC 3501 §2.3.1.1), for a mailbox moved here from another server
   * whose clients cache its UIDs; unset: a fresh one.
   */
  uidValidity?: number;
}

/** Header fields kept apart from the body so that SEARCH and ENVELOPE need no parse. */
export interface MessageHeaders {
  subject?: string;
  from?: string;
  to?: string;
  cc?: string;
  bcc?: string;
  date?: Date | null;
  messageId?: string;
  inReplyTo?: string;
  /** The References field as written (RFC 5322 §3.6.4), for THREAD=REFERENCES (RFC 5256 §4). */
  references?: string;
}

export interface MessageRecord {
  id: MessageId;
  mailboxId: MailboxId;
  userId: UserId;
  uid: Uid;
  modseq: ModSeq;
  /** IMAP flags: system flags (`\Seen`, …) and keywords, each at most once. */
  flags: string[];
  internalDate: Date;
  /** RFC822.SIZE: octets of the whole message. */
  size: number;
  headers: MessageHeaders;
  /** The message's bytes are the concatenation of these blobs, in order. */
  parts: BlobHash[];
  /** Opaque JSON the mailstore caches per message (BODYSTRUCTURE, ENVELOPE, …). */
  meta: Record<string, unknown> | null;
}

/**
 * A message's IMAP state without its headers and parts: what SELECT and a search on flags,
 * UIDs and MODSEQs need (reading those per message of a large mailbox dominated both).
 */
export type MessageFlags = Pick<MessageRecord, 'uid' | 'modseq' | 'flags'>;

export interface NewMessage {
  /**
   * The message's bytes, cut by the caller into segments (e.g. header, each
   * attachment body); each segment is stored once by content hash.
   */
  parts: Buffer[];
  flags?: string[];
  internalDate?: Date;
  headers?: MessageHeaders;
  meta?: Record<string, unknown> | null;
  /**
   * The delivery identity (the MTA's queue id, sent as XFORWARD IDENT): a
   * mailbox holds at most one message per identity, so a delivery repeated
   * after a crash stores nothing and gets the first copy back as a duplicate.
   * Copies and moves do not carry it.
   */
  deliveryId?: string;
}

export interface AppendResult {
  message: MessageRecord;
  /** The mailbox after the append (uidNext and highestModseq moved on). */
  mailbox: Mailbox;
  /** True when the mailbox already held a message with this deliveryId: nothing was stored, `message` is that one. */
  duplicate?: boolean;
}

export type FlagOperation = 'add' | 'remove' | 'set';

export interface FlagUpdate {
  op: FlagOperation;
  flags: string[];
  /** RFC 7162 §3.1.3 UNCHANGEDSINCE: messages with a higher modseq are left alone and reported. */
  unchangedSince?: ModSeq;
}

export interface FlagUpdateResult {
  /** The messages whose flags changed, with their new flags and modseq. */
  updated: { uid: Uid; flags: string[]; modseq: ModSeq }[];
  /** UIDs skipped because of UNCHANGEDSINCE (the MODIFIED response code). */
  modified: Uid[];
  mailbox: Mailbox;
}

export interface CopyResult {
  /** Source UID → destination UID, for COPYUID (RFC 4315). */
  uidMap: { sourceUid: Uid; destinationUid: Uid }[];
  uidValidity: number;
  mailbox: Mailbox;
}

/** A set of UIDs: explicit list, or an inclusive range (`max` null = up to the highest). */
export type UidSelector = { uids: Uid[] } | { min: Uid; max: Uid | null };

/** Which messages countMessages counts: all of the mailbox's unless narrowed. */
export interface MessageCountFilter {
  /** Only those without \Seen. */
  unseen?: boolean;
  /** Only those whose UID is above this (the \Recent mark for STATUS RECENT, RFC 3501 §6.3.10). */
  aboveUid?: Uid;
}

/** One flag a searched message must have (`set`) or lack (RFC 3501 §6.4.4 SEEN/UNSEEN, KEYWORD/UNKEYWORD, …). */
export interface FlagCondition {
  /** A system flag (any case) or a keyword, compared case-insensitively. */
  flag: string;
  set: boolean;
}

/** What Store.searchFlags selects: every condition holds (an AND), within a UID range when given. */
export interface FlagSearch {
  flags: FlagCondition[];
  uids?: { min: Uid; max: Uid | null };
}

/** A mailbox's sums for STATUS (RFC 8438 §3 SIZE, RFC 9051 §6.3.11 DELETED). */
export interface MailboxTotals {
  /** The sum of the messages' RFC822.SIZE. */
  size: number;
  /** How many messages have \Deleted. */
  deleted: number;
}

export interface MessageQuery {
  uids?: UidSelector;
  /** Only messages whose modseq is greater than this (CHANGEDSINCE). */
  changedSince?: ModSeq;
}

/** The change journal: every event in a mailbox in modseq order (for IDLE, CONDSTORE, QRESYNC). */
export type JournalEntry =
  | { mailboxId: MailboxId; modseq: ModSeq; kind: 'append'; uid: Uid; messageId: MessageId; flags: string[] }
  | { mailboxId: MailboxId; modseq: ModSeq; kind: 'flags'; uid: Uid; messageId: MessageId; flags: string[] }
  | { mailboxId: MailboxId; modseq: ModSeq; kind: 'expunge'; uid: Uid; messageId: MessageId };

/* ---- outbound queue ---------------------------------------------------- */

export type RecipientStatus = 'pending' | 'delivered' | 'deferred' | 'bounced';

export interface QueueRecipient {
  address: string;
  status: RecipientStatus;
  /** Last reply from the remote side (or our own reason), e.g. `550 5.1.1 no such user`. */
  lastResponse: string | null;
  /** RFC 3461 DSN NOTIFY / ORCPT when given. */
  notify?: string[] | null;
  orcpt?: string | null;
}

export interface QueueEntry {
  id: QueueId;
  /** Envelope sender; '' is the null reverse-path. */
  from: string;
  recipients: QueueRecipient[];
  parts: BlobHash[];
  size: number;
  createdAt: Date;
  nextAttemptAt: Date;
  attempts: number;
  held: boolean;
  /** Who holds the delivery lease, and until when; null when free. */
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** Free-form delivery state (DSN ENVID/RET, delay-warning sent, …). */
  meta: Record<string, unknown> | null;
}

export interface NewQueueEntry {
  id?: QueueId;
  from: string;
  recipients: { address: string; notify?: string[] | null; orcpt?: string | null }[];
  parts: Buffer[];
  nextAttemptAt?: Date;
  meta?: Record<string, unknown> | null;
  /** Enqueued already leased: the writer delivers it itself at once, and no other worker takes it before `until`. */
  lease?: { owner: string; until: Date };
  /** Enqueued on hold (Postfix's hold queue: a header_checks HOLD): not delivered until `postern queue release`. */
  held?: boolean;
}

export interface QueueEntryPatch {
  recipients?: QueueRecipient[];
  nextAttemptAt?: Date;
  attempts?: number;
  meta?: Record<string, unknown> | null;
  /** With an owner: record progress and keep holding the lease (outcomes written as they become known). */
  keepLease?: boolean;
}

/* ---- DKIM ---------------------------------------------------------------- */

export type DkimAlgorithm = 'rsa' | 'ed25519';

export interface DkimKey {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  /** PKCS#8 PEM; never logged. */
  privateKey: string;
  /** Base64 of the DER public key, as published in the TXT record's p= tag. */
  publicKey: string;
  /** Signing uses active keys; rotated keys stay published (inactive) until retireAt. */
  active: boolean;
  createdAt: Date;
  retireAt: Date | null;
  /**
   * A pending key (made by `postern dkim rotate`, not active): it starts signing once its TXT record is
   * seen in DNS, or at this time at the latest (dkim.publish_delay). Null for every other key.
   */
  activateAt: Date | null;
}

/** What updateDkimKey may change. */
export interface DkimKeyPatch {
  active?: boolean;
  retireAt?: Date | null;
  activateAt?: Date | null;
}

export interface NewDkimKey {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  privateKey: string;
  publicKey: string;
  active?: boolean;
  /** Made pending (with active false): see DkimKey.activateAt. */
  activateAt?: Date | null;
}

/* ---- login throttling -------------------------------------------------- */

/**
 * Failed logins counted against one key (`ip:192.0.2.1`, `account:alice@example.com`)
 * in a fixed window, and the ban on it: shared by every process and node.
 */
export interface AuthThrottleState {
  /** Failures in the window that is still open (0 once it has passed). */
  failures: number;
  /** When the ban on the key ends; null when it is not banned. */
  bannedUntil: Date | null;
}

/** A key banned from logging in (`ip:192.0.2.1`), and when its ban ends. */
export interface AuthBan {
  key: string;
  bannedUntil: Date;
}

/**
 * An MTA-STS policy as a sender caches it (RFC 8461 §5.1): the policy text
 * fetched for a domain, the TXT record id it was fetched under, and when its
 * max_age runs out.
 */
export interface MtaStsCacheEntry {
  /** The policy domain, lower case. */
  domain: string;
  /** The `id=` of the `_mta-sts` TXT record the policy was fetched under. */
  id: string;
  /** The policy file as served (RFC 8461 §3.2). */
  policy: string;
  fetchedAt: Date;
  /** fetchedAt + max_age. */
  expiresAt: Date;
}

/** RFC 8460 §4.3 result types, and "success" for a session that met its policy. */
export type TlsResultType =
  | 'success'
  | 'starttls-not-supported'
  | 'certificate-host-mismatch'
  | 'certificate-expired'
  | 'certificate-not-trusted'
  | 'validation-failure'
  | 'tlsa-invalid'
  | 'dnssec-invalid'
  | 'dane-required'
  | 'sts-policy-fetch-error'
  | 'sts-policy-invalid'
  | 'sts-webpki-invalid';

/** One outbound TLS session outcome, counted per day (RFC 8460 §4.4: what a report aggregates). */
export interface TlsResult {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** The policy domain (the recipient domain). */
  policyDomain: string;
  /** RFC 8460 §4.4 policy-type. */
  policyType: 'sts' | 'tlsa' | 'no-policy-found';
  /** The policy as RFC 8460 §4.4 policy-string lists it, one line each; [] for no-policy-found. */
  policyString: string[];
  /** The MX host name the session was with; '' when none was reached (a policy fetch error). */
  mxHost: string;
  resultType: TlsResultType;
  sendingIp: string;
  receivingIp: string;
}

/** TlsResult with how many sessions came to it. */
export interface TlsResultCount extends TlsResult {
  count: number;
}
/* ---- DMARC aggregate reporting (RFC 7489 §7.2) ---------------------------- */

/** RFC 7489 Appendix C DispositionType: what was done with the messages. */
export type DmarcDisposition = 'none' | 'quarantine' | 'reject';

/** The DMARC record as published (RFC 7489 Appendix C PolicyPublishedType, §6.3 tags). */
export interface DmarcPublishedPolicy {
  p: DmarcDisposition;
  sp: DmarcDisposition;
  pct: number;
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  fo: string;
  /** The rua= URIs as published (RFC 7489 §6.4), size suffixes kept. */
  rua: string[];
}

/**
 * What a DMARC evaluation came to, apart from who sent the message: the
 * fields of Appendix C's RecordType besides source_ip, header_from and count.
 */
export interface DmarcEvaluationResults {
  /** The RFC 5321.MailFrom domain ('' for the null sender). */
  envelopeFrom: string;
  /** The first RCPT TO domain. */
  envelopeTo: string;
  disposition: DmarcDisposition;
  /** policy_evaluated dkim/spf: an aligned pass (RFC 7489 §3.1). */
  dkimAligned: 'pass' | 'fail';
  spfAligned: 'pass' | 'fail';
  /** PolicyOverrideType values (sampled_out, local_policy, ...). */
  reasons: string[];
  /** auth_results: every DKIM signature, uninterpreted (domain, selector, RFC 8601 result). */
  dkim: { domain: string; selector: string; result: string }[];
  spf: { domain: string; scope: 'mfrom' | 'helo'; result: string };
}

/** One DMARC evaluation, counted per UTC day, policy domain, From domain, source IP and results. */
export interface DmarcResult {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** The domain whose _dmarc record applied (the From domain or its organizational domain), lower case. */
  policyDomain: string;
  /** The RFC 5322.From domain, lower case. */
  headerFrom: string;
  sourceIp: string;
  results: DmarcEvaluationResults;
  /** The record as last seen (not part of a count's identity: the newest wins). */
  published: DmarcPublishedPolicy;
}

/** DmarcResult with how many messages came to it. */
export interface DmarcResultCount extends DmarcResult {
  count: number;
}

/* ---- Sieve scripts (RFC 5804) and the vacation memory (RFC 5230) ------- */

/** One user's Sieve script as stored: ManageSieve names it, at most one per user is active (RFC 5804 §2.8). */
export interface SieveScriptRecord {
  userId: UserId;
  name: string;
  content: string;
  /** Size in octets of the UTF-8 content (what HAVESPACE counts). */
  size: number;
  active: boolean;
  updatedAt: Date;
}

/** The outcome of deleting a script: RFC 5804 §2.10 refuses the active one. */
export type SieveDeleteResult = 'deleted' | 'not-found' | 'active';
