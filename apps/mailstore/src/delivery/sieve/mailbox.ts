// Where a keep or fileinto lands (RFC 5228 §4.1, RFC 5490 §3 :create).
import { DEFAULT_MAILBOXES } from '@postern/directory';
import type { Mailbox, Store, User } from '@postern/store';
import { StoreConflictError } from '@postern/store';
import { inboxOf } from '../inbox.js';
import { junkOf } from '../junk.js';

export interface Destination {
  mailbox: Mailbox;
  /** Set when the named mailbox did not exist and INBOX took the message instead. */
  fellBackFrom: string | null;
}

/**
 * RFC 5490 §3.2 (fileinto without :create fails on a missing mailbox): what exists for the
 * script — the user's mailboxes, INBOX, "Junk" (always reachable through \Junk), and the default
 * folders of a user whose first delivery this is.
 */
export async function mailboxesFor(store: Store, user: User): Promise<(name: string) => boolean> {
  const paths = new Set((await store.listMailboxes(user.id)).map((m) => m.path));
  const fresh = !paths.has('INBOX');
  const defaults = new Set(DEFAULT_MAILBOXES.map((m) => m.path));
  return (name) => paths.has(name) || name.toUpperCase() === 'INBOX' || name === 'Junk' || (fresh && defaults.has(name));
}

/**
 * The mailbox for `name`: INBOX in any case; "Junk" through the \Junk special-use mailbox
 * whatever its name (as the shipped spam rule has always filed); an existing path; a new one
 * with :create; else INBOX — a message is never lost to a missing folder (RFC 5228 §4.1 leaves
 * the failure to the implementation; Dovecot's lda_mailbox_autocreate=no does the same).
 */
export async function destinationOf(store: Store, user: User, name: string, create: boolean): Promise<Destination> {
  if (name.toUpperCase() === 'INBOX') return { mailbox: await inboxOf(store, user), fellBackFrom: null };
  // A user's first delivery makes the default folders (inboxOf), which the script may name.
  const inbox = await inboxOf(store, user);
  const existing = await store.getMailbox(user.id, name);
  if (existing) return { mailbox: existing, fellBackFrom: null };
  if (name === 'Junk') return { mailbox: await junkOf(store, user), fellBackFrom: null };
  if (create) {
    try {
      return { mailbox: await store.createMailbox(user.id, name, { subscribed: true }), fellBackFrom: null };
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      const raced = await store.getMailbox(user.id, name);
      if (raced) return { mailbox: raced, fellBackFrom: null };
    }
  }
  return { mailbox: inbox, fellBackFrom: name };
}
