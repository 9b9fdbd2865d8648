// UID FETCH … (CHANGEDSINCE m VANISHED) (RFC 7162 §3.2.6): the expunged UIDs of the set, before the FETCH responses.
import type { Mailbox, Store } from '@postern/store';
import { nodeWord } from './command-args.js';
import type { CommandHandler, ImapSession } from './imap-core.js';
import { sessionState, writeResponse } from './session.js';
import { clampRanges, parseUidSet } from './uid-sets.js';
import { expungedSince, qresyncEnabled, vanishedEarlierLine } from './vanished.js';

/**
 * Wraps imap-core's FETCH and UID FETCH: the VANISHED modifier is taken out
 * (imap-core knows only CHANGEDSINCE) and its UID set left for the fetch
 * hook. §3.2.6: VANISHED is BAD without CHANGEDSINCE, in a FETCH that is not
 * a UID FETCH, or before ENABLE QRESYNC.
 */
export function vanishedFetchCommand(fetch: CommandHandler): CommandHandler {
  return {
    ...fetch,
    handler(command, callback) {
      const modifiers = command.attributes[2];
      const at = Array.isArray(modifiers) ? modifiers.findIndex((node) => nodeWord(node) === 'VANISHED') : -1;
      if (!Array.isArray(modifiers) || at < 0) return fetch.handler.call(this, command, callback);
      modifiers.splice(at, 1);
      if (command.command.toUpperCase() !== 'UID FETCH') return callback(new Error('VANISHED is a UID FETCH modifier'));
      if (!qresyncEnabled(this.session)) return callback(new Error('VANISHED needs ENABLE QRESYNC first'));
      if (!modifiers.some((node) => nodeWord(node) === 'CHANGEDSINCE')) return callback(new Error('VANISHED needs CHANGEDSINCE'));
      const state = sessionState(this.session);
      const set = command.attributes[0];
      if (state && set && !Array.isArray(set)) state.vanishedRequest = String(set.value);
      fetch.handler.call(this, command, (error, result) => {
        if (state) state.vanishedRequest = null;
        callback(error, result);
      });
    },
  };
}

/**
 * Called by the fetch hook before its FETCH responses: for a UID FETCH with
 * VANISHED, `* VANISHED (EARLIER)` with the UIDs of the set expunged after
 * MODSEQ `changedSince` (§3.2.6); UIDs the mailbox never gave out are left out.
 */
export async function answerFetchVanished(store: Store, session: ImapSession, mailbox: Mailbox, changedSince: number): Promise<void> {
  const state = sessionState(session);
  const set = state?.vanishedRequest;
  if (!state || !set) return;
  state.vanishedRequest = null;
  const largest = mailbox.uidNext - 1;
  const ranges = clampRanges(parseUidSet(set, largest) ?? [], 0, largest);
  if (ranges.length === 0) return;
  const present = async (): Promise<number[]> => (await store.listMessages(mailbox.id, { uids: { min: ranges[0]!.min, max: ranges[ranges.length - 1]!.max } })).map((message) => message.uid);
  const vanished = await expungedSince(store, mailbox.id, changedSince, ranges, present);
  if (vanished.length > 0) await writeResponse(session, { compiled: vanishedEarlierLine(vanished) });
}
