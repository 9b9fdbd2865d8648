import { ensureDefaultMailboxes } from '@postern/directory';
import type { Mailbox, Store, User } from '@postern/store';

/** The user's INBOX; a user's first delivery creates the default folders (Dovecot's auto-create). */
export async function inboxOf(store: Store, user: User): Promise<Mailbox> {
  const inbox = await store.getMailbox(user.id, 'INBOX');
  if (inbox) return inbox;
  await ensureDefaultMailboxes(store, user);
  const created = await store.getMailbox(user.id, 'INBOX');
  if (!created) throw new Error(`INBOX of ${user.address} is missing after creating the default mailboxes`);
  return created;
}
