// SEARCHRES (RFC 5182): SEARCH RETURN (SAVE) keeps its result in the session, and "$" stands for it as a sequence set.
import { nodeText, nodeWord } from './command-args.js';
import type { CommandHandler, CommandNode, ImapSession, ParsedCommand } from './imap-core.js';
import { sessionState } from './session.js';
import { uidSet } from './uid-sets.js';

/** RFC 5182 §3: `seq-last-command = "$"`. */
const LAST_RESULT = '$';

/** A SEARCH command object whose RETURN options may hold SAVE: the ESEARCH answer hands the matches to saveResult. */
export interface SavingSearch extends ParsedCommand {
  saveResult: (numbers: number[]) => void;
}

function isLastResult(node: CommandNode | undefined): boolean {
  return nodeText(node) === LAST_RESULT && !Array.isArray(node);
}

/**
 * RFC 5182 §2.1: the messages of the search result variable that are still in
 * the selection, ascending by UID; an expunged message drops out, and a
 * result saved before the last SELECT or EXAMINE counts as empty.
 */
function savedUids(session: ImapSession): number[] {
  const saved = sessionState(session)?.searchResult;
  const selected = session.selected;
  if (!saved || !selected || saved.selected !== selected) return [];
  const present = new Set(selected.uidList);
  return saved.uids.filter((uid) => present.has(uid));
}

/** The saved messages as UIDs, or as the session's sequence numbers. */
function savedNumbers(session: ImapSession, isUid: boolean): number[] {
  const uids = savedUids(session);
  if (isUid || !session.selected) return uids;
  const sequence = new Map(session.selected.uidList.map((uid, index) => [uid, index + 1]));
  return uids.map((uid) => sequence.get(uid)!).sort((a, b) => a - b);
}

function sequenceNode(numbers: number[]): CommandNode {
  return { type: 'SEQUENCE', value: uidSet(numbers) };
}

/** A search key that matches no message: what "$" means when the saved result is empty (RFC 5182 §2.1). */
const NOTHING: CommandNode = [
  { type: 'ATOM', value: 'NOT' },
  { type: 'ATOM', value: 'ALL' },
];

/**
 * RFC 5182 §2.1: "$" in search keys, as a sequence set of messages or after
 * UID, replaced by the saved messages (lists walked with a stack of their own).
 */
function replaceInSearchKeys(attributes: CommandNode[], session: ImapSession): void {
  const pending: CommandNode[][] = [attributes];
  for (let list = pending.pop(); list; list = pending.pop()) {
    for (let i = 0; i < list.length; i++) {
      const node = list[i];
      if (Array.isArray(node)) pending.push(node);
      else if (isLastResult(node)) {
        const afterUid = i > 0 && nodeWord(list[i - 1]) === 'UID';
        const numbers = savedNumbers(session, afterUid);
        if (numbers.length > 0) list[i] = sequenceNode(numbers);
        else if (afterUid) list.splice(--i, 2, NOTHING);
        else list[i] = NOTHING;
      }
    }
  }
}

/** True when a SEARCH asks for RETURN (… SAVE …) (RFC 5182 §2.1; the options come first, RFC 4731 §3.1). */
function asksToSave(command: ParsedCommand): boolean {
  const options = command.attributes[1];
  return nodeWord(command.attributes[0]) === 'RETURN' && Array.isArray(options) && options.some((node) => nodeWord(node) === 'SAVE');
}

/**
 * SEARCH and UID SEARCH with SEARCHRES: "$" in the keys, and the result saved
 * for RETURN (SAVE). RFC 5182 §2.1: a SEARCH with SAVE that ends in NO
 * empties the variable; one that ends in BAD leaves it as it was.
 */
export function savingSearchCommand(search: CommandHandler): CommandHandler {
  return {
    ...search,
    handler(command, callback) {
      const session = this.session;
      const state = sessionState(session);
      const isUid = command.command.toUpperCase() === 'UID SEARCH';
      replaceInSearchKeys(command.attributes, session);
      if (!asksToSave(command) || !state) return search.handler.call(this, command, callback);
      const selected = session.selected;
      const saving: SavingSearch = Object.assign(command, {
        saveResult: (numbers: number[]) => {
          if (!selected) return;
          const uids = isUid ? numbers : numbers.map((n) => selected.uidList[n - 1]!).filter((uid) => uid !== undefined);
          state.searchResult = { selected, uids: uids.sort((a, b) => a - b) };
        },
      });
      search.handler.call(this, saving, (err, result) => {
        if (!err && result?.response === 'NO' && selected) state.searchResult = { selected, uids: [] };
        callback(err, result);
      });
    },
  };
}

/**
 * FETCH, STORE, COPY, MOVE, UID EXPUNGE and their UID forms with "$" as the
 * sequence set (RFC 5182 §2.1): the saved messages, as sequence numbers or
 * UIDs. An empty result is a valid set that matches nothing: the command
 * completes with OK and does nothing.
 */
export function savedResultCommand(command: CommandHandler): CommandHandler {
  return {
    ...command,
    handler(parsed, callback) {
      if (!isLastResult(parsed.attributes[0])) return command.handler.call(this, parsed, callback);
      const numbers = savedNumbers(this.session, parsed.command.toUpperCase().startsWith('UID '));
      if (numbers.length === 0) return callback(null, { response: 'OK', message: `${parsed.command.toUpperCase()} completed, no messages` });
      parsed.attributes[0] = sequenceNode(numbers);
      command.handler.call(this, parsed, callback);
    },
  };
}
