// The selected mailbox's row, read once per selection by the command a client repeats most (FETCH).
import type { Mailbox, Store } from '@postern/store';
import type { ImapSession, SelectedMailbox } from './imap-core.js';
import { ownMailbox } from './session.js';

/** Keyed by imap-core's selection object: a new SELECT or EXAMINE (or the session's end) drops the row. */
const rows = new WeakMap<SelectedMailbox, Mailbox>();

/**
 * The mailbox behind the selected id, checked as ownMailbox checks it the first
 * time and remembered for the selection. Only its identity is current: its
 * counters (uidNext, highestModseq, …) are those of the first read, so a caller
 * that needs them reads the row itself. A caller that finds fewer messages than
 * the session knows asks again with `fresh` (the mailbox may have been deleted).
 */
export async function selectedMailboxRow(store: Store, session: ImapSession, id: string, fresh = false): Promise<Mailbox | null> {
  const selected = session.selected;
  const remembered = selected && selected.mailbox === id && !fresh ? rows.get(selected) : undefined;
  if (remembered) return remembered;
  const mailbox = await ownMailbox(store, session, id);
  if (selected && selected.mailbox === id) {
    if (mailbox) rows.set(selected, mailbox);
    else rows.delete(selected);
  }
  return mailbox;
}
