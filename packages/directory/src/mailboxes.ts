import { StoreConflictError, type SpecialUse, type Store, type User } from '@postern/store';

/** The folders every user has, as Dovecot's auto-created namespace gives them (RFC 6154 special-use). */
export const DEFAULT_MAILBOXES: readonly { path: string; specialUse: SpecialUse | null }[] = [
  { path: 'INBOX', specialUse: null },
  { path: 'Drafts', specialUse: '\\Drafts' },
  { path: 'Sent', specialUse: '\\Sent' },
  { path: 'Junk', specialUse: '\\Junk' },
  { path: 'Trash', specialUse: '\\Trash' },
];

/** Creates whichever default folders are missing, subscribed; safe to run concurrently. */
export async function ensureDefaultMailboxes(store: Store, user: User): Promise<void> {
  const existing = new Set((await store.listMailboxes(user.id)).map((m) => m.path));
  for (const { path, specialUse } of DEFAULT_MAILBOXES) {
    if (existing.has(path)) continue;
    try {
      await store.createMailbox(user.id, path, { specialUse, subscribed: true });
    } catch (err) {
      // Another session created it between our list and create: the outcome we wanted.
      if (!(err instanceof StoreConflictError)) throw err;
    }
  }
}
