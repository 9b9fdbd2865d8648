// Small helpers shared by the conformance areas: seeding, assertions on store errors.
import assert from 'node:assert/strict';
import { StoreConflictError, StoreError, StoreNotFoundError, type StoreErrorCode } from '../errors.js';
import type { Store } from '../store.js';
import type { AppendResult, JournalEntry, Mailbox, MailboxId, ModSeq, NewMessage, User } from '../types.js';

/** Ids come from newId(): 24 lower-case hex digits. */
export const ID_PATTERN = /^[0-9a-f]{24}$/;

export function bytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The element at `index`, failing the test (instead of yielding undefined) when absent. */
export function nth<T>(list: readonly T[], index: number): T {
  assert.ok(index < list.length, `expected at least ${index + 1} item(s), got ${list.length}`);
  return list[index] as T;
}

export function sorted(list: readonly string[]): string[] {
  return [...list].sort();
}

export function assertDate(value: unknown, label: string): asserts value is Date {
  assert.ok(value instanceof Date, `${label} should be a Date, got ${typeof value} ${String(value)}`);
  assert.ok(!Number.isNaN(value.getTime()), `${label} should be a valid Date`);
}

export async function rejectsWithStoreError(promise: Promise<unknown>, code: StoreErrorCode, errorClass: typeof StoreError = StoreError): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof errorClass, `expected a ${errorClass.name}, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    assert.equal((err as StoreError).code, code);
    return true;
  });
}

export function rejectsWithConflict(promise: Promise<unknown>): Promise<void> {
  return rejectsWithStoreError(promise, 'conflict', StoreConflictError);
}

export function rejectsWithNotFound(promise: Promise<unknown>): Promise<void> {
  return rejectsWithStoreError(promise, 'not_found', StoreNotFoundError);
}

export async function seedUser(store: Store, address = 'alice@example.com'): Promise<User> {
  return (await store.getUser(address)) ?? store.addUser({ address, passwordHash: '{PLAIN}secret' });
}

export async function seedMailbox(store: Store, path = 'INBOX', address = 'alice@example.com'): Promise<{ user: User; mailbox: Mailbox }> {
  const user = await seedUser(store, address);
  return { user, mailbox: await store.createMailbox(user.id, path) };
}

export function appendText(store: Store, mailboxId: MailboxId, text: string, message: Omit<NewMessage, 'parts'> = {}): Promise<AppendResult> {
  return store.appendMessage(mailboxId, { ...message, parts: [bytes(text)] });
}

/** A journal entry reduced to what the contract fixes, so extra backend fields do not matter. */
export interface JournalLine {
  kind: JournalEntry['kind'];
  uid: number;
  modseq: number;
  messageId: string;
  flags?: string[];
}

export async function journalLines(store: Store, mailboxId: MailboxId, since: ModSeq = 0, limit?: number): Promise<JournalLine[]> {
  const entries = await store.readJournal(mailboxId, since, limit);
  return entries.map((entry) => {
    assert.equal(entry.mailboxId, mailboxId, 'journal entries belong to the mailbox read');
    const line: JournalLine = { kind: entry.kind, uid: entry.uid, modseq: entry.modseq, messageId: entry.messageId };
    if (entry.kind !== 'expunge') line.flags = entry.flags;
    return line;
  });
}

export async function storageUsed(store: Store, address = 'alice@example.com'): Promise<number> {
  const user = await store.getUser(address);
  assert.ok(user, `user ${address} should exist`);
  return user.storageUsed;
}

/** After a cascade the journal of a removed mailbox reads empty (or the mailbox is reported unknown). */
export async function assertJournalGone(read: Promise<unknown[]>): Promise<void> {
  try {
    assert.deepEqual(await read, [], 'no journal entries remain for a deleted mailbox');
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assert.equal((err as { code?: unknown }).code, 'not_found', `reading a removed journal failed unexpectedly: ${String(err)}`);
  }
}
