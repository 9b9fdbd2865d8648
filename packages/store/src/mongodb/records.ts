import type {
  Alias,
  BlobHash,
  DkimKey,
  Domain,
  JournalEntry,
  Mailbox,
  MailboxId,
  MessageId,
  MessageRecord,
  QueueEntry,
  QueueId,
  SenderLogin,
  Uid,
  User,
  UserId,
} from '../types.js';
import type {
  AliasDoc,
  DkimDoc,
  DomainDoc,
  JournalDoc,
  MailboxDoc,
  MessageDoc,
  QueueDoc,
  SenderLoginDoc,
  UserDoc,
} from './collections.js';

// Stored documents → the records of types.ts (fresh objects, no `_id`).

export function toDomain(doc: DomainDoc): Domain {
  return { name: doc.name, createdAt: doc.createdAt };
}

export function toUser(doc: UserDoc): User {
  return {
    id: doc._id as UserId,
    address: doc.address,
    domain: doc.domain,
    passwordHash: doc.passwordHash,
    name: doc.name ?? null,
    quota: doc.quota,
    storageUsed: doc.storageUsed,
    disabled: doc.disabled,
    createdAt: doc.createdAt,
  };
}

export function toAlias(doc: AliasDoc): Alias {
  return { address: doc.address, domain: doc.domain, targets: [...doc.targets], createdAt: doc.createdAt };
}

export function toSenderLogin(doc: SenderLoginDoc): SenderLogin {
  return { address: doc.address, login: doc.login, createdAt: doc.createdAt };
}

export function toMailbox(doc: MailboxDoc): Mailbox {
  return {
    id: doc._id as MailboxId,
    userId: doc.userId as UserId,
    path: doc.path,
    specialUse: doc.specialUse ?? null,
    subscribed: doc.subscribed,
    uidValidity: doc.uidValidity,
    uidNext: doc.uidNext,
    highestModseq: doc.highestModseq,
    recentUid: (doc.recentUid ?? 0) as Uid,
    createdAt: doc.createdAt,
  };
}

export function toMessage(doc: MessageDoc): MessageRecord {
  return {
    id: doc._id as MessageId,
    mailboxId: doc.mailboxId as MailboxId,
    userId: doc.userId as UserId,
    uid: doc.uid,
    modseq: doc.modseq,
    flags: [...doc.flags],
    internalDate: doc.internalDate,
    size: doc.size,
    headers: doc.headers ?? {},
    parts: doc.parts as BlobHash[],
    meta: parseMeta(doc.meta),
  };
}

export function toJournalEntry(doc: JournalDoc): JournalEntry {
  const base = {
    mailboxId: doc.mailboxId as MailboxId,
    modseq: doc.modseq,
    uid: doc.uid,
    messageId: doc.messageId as MessageId,
  };
  if (doc.kind === 'expunge') return { ...base, kind: 'expunge' };
  return { ...base, kind: doc.kind, flags: [...(doc.flags ?? [])] };
}

export function toQueueEntry(doc: QueueDoc): QueueEntry {
  return {
    id: doc._id as QueueId,
    from: doc.from,
    recipients: doc.recipients.map((r) => ({ ...r })),
    parts: doc.parts as BlobHash[],
    size: doc.size,
    createdAt: doc.createdAt,
    nextAttemptAt: doc.nextAttemptAt,
    attempts: doc.attempts,
    held: doc.held,
    leaseOwner: doc.leaseOwner ?? null,
    leaseUntil: doc.leaseUntil ?? null,
    meta: parseMeta(doc.meta),
  };
}

export function toDkimKey(doc: DkimDoc): DkimKey {
  return {
    domain: doc.domain,
    selector: doc.selector,
    algorithm: doc.algorithm,
    privateKey: doc.privateKey,
    publicKey: doc.publicKey,
    active: doc.active,
    createdAt: doc.createdAt,
    retireAt: doc.retireAt ?? null,
    activateAt: doc.activateAt ?? null,
  };
}

/** Opaque JSON is stored as text so that keys with dots or `$` need no escaping. */
export function storeMeta(meta: Record<string, unknown> | null | undefined): string | null {
  return meta == null ? null : JSON.stringify(meta);
}

function parseMeta(text: string | null | undefined): Record<string, unknown> | null {
  return text == null ? null : (JSON.parse(text) as Record<string, unknown>);
}
