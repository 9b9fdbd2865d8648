import { ensureDefaultMailboxes } from '@postern/directory';
import type { Mailbox, Store, User } from '@postern/store';
import { headerLength, parseHeaderFields } from '../message/index.js';
import { inboxOf } from './inbox.js';

/**
 * The guides' sieve rule `if header :contains "X-Spam-Flag" "YES" { fileinto "Junk"; }`,
 * on the topmost X-Spam-Flag only: that is the one our MTA's scanner put
 * on top, and lower ones are whatever the sender wrote.
 */
export function isFlaggedSpam(raw: Buffer): boolean {
  const flag = parseHeaderFields(raw.subarray(0, headerLength(raw))).find(([name]) => name === 'x-spam-flag');
  return flag !== undefined && flag[1].trim().toUpperCase() === 'YES';
}

async function junkMailbox(store: Store, user: User): Promise<Mailbox | null> {
  return (await store.listMailboxes(user.id)).find((mailbox) => mailbox.specialUse === '\\Junk') ?? null;
}

/**
 * The user's \Junk mailbox (RFC 6154 special-use), whatever it is named;
 * the default folders are made when it is missing. A user left with no
 * \Junk at all (a plain folder already named Junk) gets that folder, and
 * failing that INBOX: spam is filed, never lost.
 */
export async function junkOf(store: Store, user: User): Promise<Mailbox> {
  const junk = await junkMailbox(store, user);
  if (junk) return junk;
  await ensureDefaultMailboxes(store, user);
  return (await junkMailbox(store, user)) ?? (await store.getMailbox(user.id, 'Junk')) ?? inboxOf(store, user);
}
