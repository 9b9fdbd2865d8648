import { GridFSBucket } from 'mongodb';
import type { Binary, Collection, CreateIndexesOptions, Db, IndexSpecification, ObjectId } from 'mongodb';
import type {
  DkimAlgorithm,
  JournalEntry,
  MessageHeaders,
  QueueRecipient,
  SpecialUse,
  TlsResult,
  DmarcEvaluationResults,
  DmarcPublishedPolicy,
} from '../types.js';

// The documents as stored. Ids are the strings from newId() (ObjectId-shaped),
// blobs are keyed by their SHA-256, opaque JSON (meta) is kept as a JSON string
// so that any key (dots, `$`) survives every server.

export interface DomainDoc {
  _id: string;
  name: string;
  createdAt: Date;
}

export interface UserDoc {
  _id: string;
  address: string;
  domain: string;
  passwordHash: string;
  name: string | null;
  quota: number;
  storageUsed: number;
  disabled: boolean;
  createdAt: Date;
}

export interface AliasDoc {
  _id: string;
  address: string;
  domain: string;
  targets: string[];
  createdAt: Date;
}

export interface SenderLoginDoc {
  _id: string;
  address: string;
  login: string;
  createdAt: Date;
}

export interface MailboxDoc {
  _id: string;
  userId: string;
  path: string;
  specialUse: SpecialUse | null;
  subscribed: boolean;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** Absent on mailboxes created before the \Recent mark existed: read as 0. */
  recentUid?: number;
  createdAt: Date;
}

export interface MessageDoc {
  _id: string;
  mailboxId: string;
  userId: string;
  uid: number;
  modseq: number;
  flags: string[];
  /**
   * Mirrors \Seen in flags, written with them on every path (backfilled at open for
   * documents from before it): UNSEEN counts and searches use { mailboxId, seen, uid }.
   */
  seen: boolean;
  internalDate: Date;
  size: number;
  headers: MessageHeaders;
  parts: string[];
  meta: string | null;
  /** The delivery identity (NewMessage.deliveryId); absent for appended and copied messages. */
  deliveryId?: string;
}

export interface JournalDoc {
  _id: string;
  mailboxId: string;
  modseq: number;
  kind: JournalEntry['kind'];
  uid: number;
  messageId: string;
  flags?: string[];
  /** When the entry was written: lets readers tell an in-flight gap from an abandoned one. */
  at: Date;
}

/** A blob: small ones inline in `data`, large ones in GridFS under `file`. */
export interface BlobDoc {
  _id: string;
  refs: number;
  size: number;
  data?: Binary;
  file?: ObjectId;
  /**
   * Random per insert of the hash: a document seen with this value that is
   * still there later existed all along (see BlobStore.putMany).
   */
  incarnation?: string;
}

export interface QueueDoc {
  _id: string;
  from: string;
  recipients: QueueRecipient[];
  parts: string[];
  size: number;
  createdAt: Date;
  nextAttemptAt: Date;
  attempts: number;
  held: boolean;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  meta: string | null;
}

export interface DkimDoc {
  _id: string;
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  privateKey: string;
  publicKey: string;
  active: boolean;
  createdAt: Date;
  retireAt: Date | null;
  /** Absent in documents written before pending keys existed: read as null. */
  activateAt?: Date | null;
}

/** Failed logins and the ban of one key (`ip:…`, `account:…`). */
export interface AuthThrottleDoc {
  _id: string;
  failures: number;
  windowStart: Date;
  bannedUntil: Date;
}

/** A sender's cached MTA-STS policy, by domain (RFC 8461 §5.1). */
export interface MtaStsPolicyDoc {
  _id: string;
  policyId: string;
  policy: string;
  fetchedAt: Date;
  expiresAt: Date;
}

/** One TLS-RPT count (RFC 8460 §4); _id is the JSON of every other field but count. */
export interface TlsResultDoc {
  _id: string;
  day: string;
  policyDomain: string;
  policyType: TlsResult['policyType'];
  policyString: string[];
  mxHost: string;
  resultType: TlsResult['resultType'];
  sendingIp: string;
  receivingIp: string;
  count: number;
}

/** One DMARC count (RFC 7489 §7.2); _id is the JSON of day, policy domain, From domain, source IP and results. */
export interface DmarcResultDoc {
  _id: string;
  day: string;
  policyDomain: string;
  headerFrom: string;
  sourceIp: string;
  results: DmarcEvaluationResults;
  published: DmarcPublishedPolicy;
  count: number;
}

/** One user's Sieve script (RFC 5804). */
export interface SieveScriptDoc {
  _id: string;
  userId: string;
  name: string;
  content: string;
  size: number;
  active: boolean;
  updatedAt: Date;
}

/** A vacation reply sent to `sender` under `handle`, remembered until `expiresAt` (RFC 5230 §4.2). */
export interface VacationReplyDoc {
  _id: string;
  userId: string;
  handle: string;
  sender: string;
  expiresAt: Date;
}

export interface Collections {
  domains: Collection<DomainDoc>;
  users: Collection<UserDoc>;
  aliases: Collection<AliasDoc>;
  senderLogins: Collection<SenderLoginDoc>;
  mailboxes: Collection<MailboxDoc>;
  messages: Collection<MessageDoc>;
  journal: Collection<JournalDoc>;
  blobs: Collection<BlobDoc>;
  /** GridFS bucket for blobs too large to sit inline in a document. */
  blobFiles: GridFSBucket;
  queue: Collection<QueueDoc>;
  dkimKeys: Collection<DkimDoc>;
  authThrottle: Collection<AuthThrottleDoc>;
  mtaStsPolicies: Collection<MtaStsPolicyDoc>;
  tlsResults: Collection<TlsResultDoc>;
  dmarcResults: Collection<DmarcResultDoc>;
  sieveScripts: Collection<SieveScriptDoc>;
  vacationReplies: Collection<VacationReplyDoc>;
}

type IndexDef = [keyof Omit<Collections, 'blobFiles'>, IndexSpecification, CreateIndexesOptions?];

const unique = { unique: true };

// Uniqueness lives in the database so that concurrent writers cannot both win.
const INDEXES: IndexDef[] = [
  ['domains', { name: 1 }, unique],
  ['users', { address: 1 }, unique],
  ['users', { domain: 1, address: 1 }],
  ['aliases', { address: 1 }, unique],
  ['aliases', { targets: 1 }],
  ['aliases', { domain: 1, address: 1 }],
  ['senderLogins', { address: 1, login: 1 }, unique],
  ['senderLogins', { login: 1 }],
  ['mailboxes', { userId: 1, path: 1 }, unique],
  ['messages', { mailboxId: 1, uid: 1 }, unique],
  ['messages', { mailboxId: 1, modseq: 1 }],
  // RFC 3501 §6.4.4: SEARCH UNSEEN/SEEN and the unseen count (seen mirrors \Seen); other flags and keywords by the multikey one.
  ['messages', { mailboxId: 1, seen: 1, uid: 1 }],
  ['messages', { mailboxId: 1, flags: 1 }],
  // One message per delivery identity and mailbox: a repeated LMTP delivery cannot store a second copy.
  ['messages', { mailboxId: 1, deliveryId: 1 }, { unique: true, partialFilterExpression: { deliveryId: { $exists: true } } }],
  ['journal', { mailboxId: 1, modseq: 1 }, unique],
  ['journal', { mailboxId: 1, at: 1 }],
  ['dkimKeys', { domain: 1, selector: 1 }, unique],
  ['queue', { held: 1, nextAttemptAt: 1 }],
  ['queue', { createdAt: 1, _id: 1 }],
  ['authThrottle', { windowStart: 1 }],
  ['authThrottle', { bannedUntil: 1 }],
  ['tlsResults', { day: 1, policyDomain: 1 }],
  ['dmarcResults', { day: 1, policyDomain: 1 }],
  ['sieveScripts', { userId: 1, name: 1 }, unique],
  // RFC 5804 §2.8: at most one active script per user, kept by the database.
  ['sieveScripts', { userId: 1, active: 1 }, { unique: true, partialFilterExpression: { active: true } }],
  ['vacationReplies', { userId: 1, handle: 1, sender: 1 }, unique],
  ['vacationReplies', { userId: 1, expiresAt: 1 }],
];

/** The collections of a Postern database (see createIndexes for their indexes). */
export function openCollections(db: Db): Collections {
  return {
    domains: db.collection<DomainDoc>('domains'),
    users: db.collection<UserDoc>('users'),
    aliases: db.collection<AliasDoc>('aliases'),
    senderLogins: db.collection<SenderLoginDoc>('senderLogins'),
    mailboxes: db.collection<MailboxDoc>('mailboxes'),
    messages: db.collection<MessageDoc>('messages'),
    journal: db.collection<JournalDoc>('journal'),
    blobs: db.collection<BlobDoc>('blobs'),
    blobFiles: new GridFSBucket(db, { bucketName: 'blobFiles' }),
    queue: db.collection<QueueDoc>('queue'),
    dkimKeys: db.collection<DkimDoc>('dkimKeys'),
    authThrottle: db.collection<AuthThrottleDoc>('authThrottle'),
    mtaStsPolicies: db.collection<MtaStsPolicyDoc>('mtaStsPolicies'),
    tlsResults: db.collection<TlsResultDoc>('tlsResults'),
    dmarcResults: db.collection<DmarcResultDoc>('dmarcResults'),
    sieveScripts: db.collection<SieveScriptDoc>('sieveScripts'),
    vacationReplies: db.collection<VacationReplyDoc>('vacationReplies'),
  };
}

/**
 * Puts the indexes in place (createIndex is idempotent). An index new in an
 * upgrade is built over a whole populated collection, which can take minutes:
 * the caller runs this over a connection without an operation timeout.
 */
export async function createIndexes(db: Db): Promise<void> {
  const collections = openCollections(db);
  for (const [name, keys, options] of INDEXES) {
    await collections[name].createIndex(keys, options ?? {});
  }
}
