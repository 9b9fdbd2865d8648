// STATUS SIZE (RFC 8438 §3, RFC 9051 §6.3.11) and STATUS DELETED (RFC 9051 §6.3.11).
import { nodeWord } from './command-args.js';
import type { CommandHandler, ImapSession } from './imap-core.js';
import { sessionState } from './session.js';

/** The status items summed over every message of the mailbox (its sizes and \Deleted): computed only when asked. */
const TOTAL_ITEMS = ['SIZE', 'DELETED'];

/**
 * Runs `ask` (which calls the status hook before its first wait) with the
 * session's status items set to `items`, so that the hook knows what it must compute.
 */
export function withStatusItems<T>(session: ImapSession, items: readonly string[], ask: () => T): T {
  const state = sessionState(session);
  if (!state) return ask();
  state.statusItems = items;
  try {
    return ask();
  } finally {
    state.statusItems = [];
  }
}

/** Wraps imap-core's STATUS: the status hook learns the items asked for. */
export function statusItemsCommand(status: CommandHandler): CommandHandler {
  return {
    ...status,
    handler(command, callback) {
      const list = command.attributes?.[1];
      const items = Array.isArray(list) ? list.map((node) => nodeWord(node) ?? '') : [];
      return withStatusItems(this.session, items, () => status.handler.call(this, command, callback));
    },
  };
}

/** Whether the items asked for include SIZE or DELETED. */
export function wantsTotals(items: readonly string[]): boolean {
  return items.some((item) => TOTAL_ITEMS.includes(item));
}

