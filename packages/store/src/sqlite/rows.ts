// Rows as SQLite returns them, and their mapping to the store's records.
import type {
  Alias,
  BlobHash,
  DkimAlgorithm,
  DkimKey,
  Domain,
  JournalEntry,
  Mailbox,
  MailboxId,
  MessageHeaders,
  MessageId,
  MessageRecord,
  QueueEntry,
  QueueId,
  QueueRecipient,
  SenderLogin,
  SpecialUse,
  User,
  UserId,
} from '../types.js';

export interface DomainRow {
  name: string;
  created_at: number;
}

export interface UserRow {
  id: string;
  address: string;
  domain: string;
  password_hash: string;
  name: string | null;
  quota: number;
  storage_used: number;
  disabled: number;
  created_at: number;
}

export interface AliasRow {
  address: string;
  domain: string;
  created_at: number;
}

export interface SenderLoginRow {
  address: string;
  login: string;
  created_at: number;
}

export interface MailboxRow {
  id: string;
  user_id: string;
  path: string;
  special_use: string | null;
  subscribed: number;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
  recent_uid: number;
  created_at: number;
}

export interface MessageRow {
  id: string;
  mailbox_id: string;
  user_id: string;
  uid: number;
  modseq: number;
  flags: string;
  seen: number;
  /** Mirrors \Deleted (schema 11), as seen mirrors \Seen. */
  deleted: number;
  internal_date: number;
  size: number;
  headers: string;
  parts: string;
  meta: string | null;
  /** The delivery identity (NewMessage.deliveryId); null for appended and copied messages. */
  delivery_id?: string | null;
}

export interface JournalRow {
  mailbox_id: string;
  modseq: number;
  kind: string;
  uid: number;
  message_id: string;
  flags: string | null;
}

export interface QueueRow {
  id: string;
  sender: string;
  recipients: string;
  parts: string;
  size: number;
  created_at: number;
  next_attempt_at: number;
  attempts: number;
  held: number;
  lease_owner: string | null;
  lease_until: number | null;
  meta: string | null;
}

export interface DkimKeyRow {
  domain: string;
  selector: string;
  algorithm: string;
  private_key: string;
  public_key: string;
  active: number;
  created_at: number;
  retire_at: number | null;
  activate_at: number | null;
}

export function toDomain(row: DomainRow): Domain {
  return { name: row.name, createdAt: new Date(row.created_at) };
}

export function toUser(row: UserRow): User {
  return {
    id: row.id as UserId,
    address: row.address,
    domain: row.domain,
    passwordHash: row.password_hash,
    name: row.name,
    quota: row.quota,
    storageUsed: row.storage_used,
    disabled: row.disabled !== 0,
    createdAt: new Date(row.created_at),
  };
}

export function toAlias(row: AliasRow, targets: string[]): Alias {
  return { address: row.address, domain: row.domain, targets, createdAt: new Date(row.created_at) };
}

export function toSenderLogin(row: SenderLoginRow): SenderLogin {
  return { address: row.address, login: row.login, createdAt: new Date(row.created_at) };
}

export function toMailbox(row: MailboxRow): Mailbox {
  return {
    id: row.id as MailboxId,
    userId: row.user_id as UserId,
    path: row.path,
    specialUse: row.special_use as SpecialUse | null,
    subscribed: row.subscribed !== 0,
    uidValidity: row.uid_validity,
    uidNext: row.uid_next,
    highestModseq: row.highest_modseq,
    recentUid: row.recent_uid,
    createdAt: new Date(row.created_at),
  };
}

/** Headers as JSON, with the Date header as milliseconds so that it comes back a Date. */
export function headersJson(headers: MessageHeaders): string {
  const { date, ...rest } = headers;
  return JSON.stringify(date === undefined ? rest : { ...rest, date: date === null ? null : date.getTime() });
}

function parseHeaders(text: string): MessageHeaders {
  const { date, ...rest } = JSON.parse(text) as Omit<MessageHeaders, 'date'> & { date?: number | null };
  return date === undefined ? rest : { ...rest, date: date === null ? null : new Date(date) };
}

export function metaJson(meta: Record<string, unknown> | null | undefined): string | null {
  return meta == null ? null : JSON.stringify(meta);
}

function parseMeta(text: string | null): Record<string, unknown> | null {
  return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
}

export function parseFlags(text: string): string[] {
  return JSON.parse(text) as string[];
}

export function parseParts(text: string): BlobHash[] {
  return JSON.parse(text) as BlobHash[];
}

/** RFC 3501 §2.3.2: flags are stored canonical (normalizeFlags), so \Seen has one spelling. */
export function hasSeen(flags: readonly string[]): number {
  return flags.includes('\\Seen') ? 1 : 0;
}

/** Likewise for \Deleted (the deleted column). */
export function hasDeleted(flags: readonly string[]): number {
  return flags.includes('\\Deleted') ? 1 : 0;
}

export function toMessage(row: MessageRow): MessageRecord {
  return {
    id: row.id as MessageId,
    mailboxId: row.mailbox_id as MailboxId,
    userId: row.user_id as UserId,
    uid: row.uid,
    modseq: row.modseq,
    flags: parseFlags(row.flags),
    internalDate: new Date(row.internal_date),
    size: row.size,
    headers: parseHeaders(row.headers),
    parts: parseParts(row.parts),
    meta: parseMeta(row.meta),
  };
}

export function toJournalEntry(row: JournalRow): JournalEntry {
  const base = { mailboxId: row.mailbox_id as MailboxId, modseq: row.modseq, uid: row.uid, messageId: row.message_id as MessageId };
  if (row.kind === 'expunge') return { ...base, kind: 'expunge' };
  const flags = parseFlags(row.flags ?? '[]');
  return row.kind === 'flags' ? { ...base, kind: 'flags', flags } : { ...base, kind: 'append', flags };
}

export function toQueueEntry(row: QueueRow): QueueEntry {
  return {
    id: row.id as QueueId,
    from: row.sender,
    recipients: JSON.parse(row.recipients) as QueueRecipient[],
    parts: parseParts(row.parts),
    size: row.size,
    createdAt: new Date(row.created_at),
    nextAttemptAt: new Date(row.next_attempt_at),
    attempts: row.attempts,
    held: row.held !== 0,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until === null ? null : new Date(row.lease_until),
    meta: parseMeta(row.meta),
  };
}

export function toDkimKey(row: DkimKeyRow): DkimKey {
  return {
    domain: row.domain,
    selector: row.selector,
    algorithm: row.algorithm as DkimAlgorithm,
    privateKey: row.private_key,
    publicKey: row.public_key,
    active: row.active !== 0,
    createdAt: new Date(row.created_at),
    retireAt: row.retire_at === null ? null : new Date(row.retire_at),
    activateAt: row.activate_at === null || row.activate_at === undefined ? null : new Date(row.activate_at),
  };
}

export const bool = (value: boolean): number => (value ? 1 : 0);
