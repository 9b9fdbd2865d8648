// CREATE-SPECIAL-USE (RFC 6154 §3): `CREATE name (USE (\Sent))` makes a mailbox with that special use.
import type { SpecialUse } from '@postern/store';
import { nodeText as word } from './command-args.js';
import type { CommandHandler, CommandNode } from './imap-core.js';
import { sessionState } from './session.js';

/** RFC 6154 §2: the special-use attributes; the store keeps one per mailbox. */
const SPECIAL_USES: readonly SpecialUse[] = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'];

/**
 * RFC 6154 §6 (create-param = "USE" SP "(" [use-attr *(SP use-attr)] ")"):
 * the special use asked for, null for none; an Error for a malformed list
 * (BAD), the string 'USE-ATTR' for a use this server cannot give (§3: NO [USE-ATTR]).
 */
export function createUse(params: CommandNode | undefined): SpecialUse | null | Error | 'USE-ATTR' {
  if (params === undefined) return null;
  if (!Array.isArray(params) || word(params[0])?.toUpperCase() !== 'USE' || !Array.isArray(params[1]) || params.length !== 2) {
    return new Error('Invalid CREATE parameters');
  }
  const uses = params[1].map(word);
  if (uses.some((use) => use === null)) return new Error('Invalid USE attribute');
  if (uses.length === 0) return null;
  const known = uses.map((use) => SPECIAL_USES.find((candidate) => candidate.toLowerCase() === use!.toLowerCase()));
  // One special use per mailbox here; an unknown or second one is refused with USE-ATTR.
  if (known.length !== 1 || !known[0]) return 'USE-ATTR';
  return known[0];
}

/** CREATE: the optional USE parameter is taken off, then imap-core's CREATE runs with it waiting in the session. */
export function createSpecialUseCommand(basic: CommandHandler): CommandHandler {
  return {
    ...basic,
    schema: false,
    handler(command, callback) {
      if (command.attributes.length > 2) return callback(new Error('Invalid CREATE parameters'));
      const use = createUse(command.attributes[1]);
      if (use instanceof Error) return callback(use);
      if (use === 'USE-ATTR') return callback(null, { response: 'NO', code: 'USE-ATTR', message: 'Unsupported special-use attribute' });
      const state = sessionState(this.session);
      if (state) state.createUse = use;
      command.attributes.length = 1;
      try {
        basic.handler.call(this, command, callback);
      } finally {
        // The onCreate hook has read it by now (imap-core calls it before its first wait).
        if (state) state.createUse = null;
      }
    },
  };
}
