// STORE and UID STORE (RFC 3501 §6.4.6; RFC 7162 §3.1.3 UNCHANGEDSINCE and MODIFIED).
import type { FlagOperation } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import type { ImapSession } from './imap-core.js';
import { announceKeywords } from './keywords.js';
import type { JournalNotifier } from './notifier.js';
import { flagsWithRecent } from './recent.js';
import { ownMailbox, writeResponse } from './session.js';
import { pageSelector } from './uid-sets.js';

export interface StoreUpdate {
  action: FlagOperation;
  value: string[];
  messages: number[];
  silent: boolean;
  /** RFC 7162 §3.1.3: the UNCHANGEDSINCE modifier, false when the command has none (0 is a condition that always fails). */
  unchangedSince: number | false;
  isUid?: boolean;
}

/** \Recent is the server's to set (RFC 3501 §2.3.2); clients cannot store it. */
function storableFlags(flags: readonly string[]): string[] {
  return flags.filter((flag) => flag.toLowerCase() !== '\\recent');
}

export async function storeFlags(ctx: MailstoreContext, notifier: JournalNotifier, mailboxId: string, update: StoreUpdate, session: ImapSession): Promise<unknown[]> {
  const mailbox = await ownMailbox(ctx.store, session, mailboxId);
  if (!mailbox) return ['NONEXISTENT'];
  if (update.messages.length === 0) return [true, []];
  const result = await ctx.store.updateFlags(mailbox.id, update.messages, {
    op: update.action,
    flags: storableFlags(update.value),
    ...(update.unchangedSince === false ? {} : { unchangedSince: update.unchangedSince }),
  });
  notifier.ownChanges(mailbox.id, result.updated.map((change) => change.modseq), session);
  if (result.updated.length > 0) notifier.changed(mailbox.id);
  // RFC 3501 §7.2.6: a keyword new to the mailbox is announced first, even for .SILENT.
  for (const change of result.updated) announceKeywords(session, change.flags);

  const condstore = Boolean(session.selected && session.selected.condstoreEnabled);
  // RFC 7162 §3.1.3: with CONDSTORE on, changed messages are reported (with MODSEQ) even for .SILENT.
  if (!update.silent || condstore) {
    const changed = new Map(result.updated.map((change) => [change.uid, change]));
    let unchanged: { uid: number; flags: string[]; modseq: number }[] = [];
    if (!update.silent) {
      // RFC 3501 §6.4.6: STORE answers each message of the set with its flags, changed or not.
      const modified = new Set(result.modified);
      const rest = update.messages.filter((uid) => !changed.has(uid) && !modified.has(uid));
      if (rest.length > 0) unchanged = await ctx.store.listMessageFlags(mailbox.id, { uids: pageSelector(rest) });
    }
    const reports = [...result.updated, ...unchanged.filter((record) => !changed.has(record.uid))].sort((a, b) => a.uid - b.uid);
    for (const report of reports) {
      const response = session.formatResponse('FETCH', report.uid, {
        // RFC 7162 §3.1.2: once CONDSTORE is enabled, these FETCH responses carry UID and MODSEQ.
        uid: update.isUid || condstore ? report.uid : false,
        flags: flagsWithRecent(session, report.uid, report.flags),
        modseq: condstore ? report.modseq : false,
      });
      if (response) await writeResponse(session, response);
    }
  }
  if (result.updated.length > 0) {
    ctx.logger.debug({ service: 'imap', session: session.id, mailbox: mailbox.path, changed: result.updated.length, event: 'store' }, 'imap store');
  }
  return [true, result.modified];
}
