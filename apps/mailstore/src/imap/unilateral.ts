// What a session hears unasked about its selected mailbox, beyond imap-core's EXISTS/EXPUNGE/FETCH (RFC 3501 §7).
import type { ImapConnection } from './imap-core.js';
import { announceKeywords } from './keywords.js';
import type { ImapUpdate } from './notifier.js';
import { flagsWithRecent, recentCountChange } from './recent.js';

/**
 * Wraps the connection's emitNotifications: before the updates go out, a
 * keyword they show is announced in FLAGS (RFC 3501 §7.2.6) and FETCH flags
 * carry \Recent for this session's recent messages (§2.3.2); after them, a
 * \Recent count changed by new messages is reported with RECENT (§7.3.2).
 */
export function announceWithUpdates(connection: ImapConnection): void {
  const emit = connection.emitNotifications.bind(connection);
  connection.emitNotifications = (holdExpunges?: boolean) => {
    const session = connection.session;
    const selected = session.selected;
    if (!selected) return emit(holdExpunges);
    for (const update of selected.notifications as ImapUpdate[]) {
      if (!update.flags || update.ignore === session.id) continue;
      announceKeywords(session, update.flags);
      if (update.command === 'FETCH') update.flags = flagsWithRecent(session, update.uid, update.flags);
    }
    const last = selected.uidList[selected.uidList.length - 1] ?? 0;
    emit(holdExpunges);
    const recent = recentCountChange(session, (selected.uidList[selected.uidList.length - 1] ?? 0) > last);
    if (recent !== null) session.writeStream.write({ compiled: `* ${recent} RECENT` });
  };
}
