// The \Junk special-use mailbox (RFC 6154), where the shipped sieve_before rule files spam.
import { ensureDefaultMailboxes } from '@postern/directory';
import type { Mailbox, Store, User } from '@postern/store';
import { inboxOf } from './inbox.js';

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
