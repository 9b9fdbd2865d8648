// The IMAP extensions Postern adds to imap-core, and the capabilities that advertise them.
import { appendCommand } from './multiappend.js';
import { createSpecialUseCommand } from './create-special-use.js';
import { enableCommand } from './enable.js';
import { vanishedFetchCommand } from './fetch-vanished.js';
import { commandTable, imapTools, type CommandHandler, type ParsedCommand } from './imap-core.js';
import { takeSearchReturn, type EsearchResponse } from './esearch.js';
import { listExtendedCommand } from './list-extended.js';
import { qresyncSelectCommand } from './qresync-select.js';
import { sortCommand, sortLine } from './sort.js';

/**
 * RFC 3501 §7.2.1: advertised beside imap-core's own, each only once it is
 * implemented and tested: RFC 7888 LITERAL+, RFC 3502 MULTIAPPEND, RFC 4731
 * ESEARCH, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154
 * CREATE-SPECIAL-USE, RFC 3516 BINARY, RFC 5256 SORT and RFC 7162 QRESYNC.
 */
export const EXTENSION_CAPABILITIES = ['LITERAL+', 'MULTIAPPEND', 'ESEARCH', 'LIST-EXTENDED', 'LIST-STATUS', 'CREATE-SPECIAL-USE', 'BINARY', 'SORT', 'QRESYNC'];

/** imap-core's SEARCH asks this how to answer: `* SORT` for a SORT, ESEARCH for RETURN (…), else its own `* SEARCH`. */
export function searchAnswer(command: ParsedCommand, isUid: boolean): EsearchResponse | Error | false {
  if ('sort' in command) return sortLine;
  return takeSearchReturn(command, isUid);
}

/** imap-core's own handlers, kept before they are wrapped (the table is shared by every server in the process). */
let basic: { list: CommandHandler; create: CommandHandler; search: CommandHandler } | null = null;

/** Puts the extended commands into imap-core's command table (once per process). */
export function installExtensionCommands(): void {
  if (basic) return;
  const list = commandTable.get('LIST');
  const create = commandTable.get('CREATE');
  const search = commandTable.get('SEARCH');
  const select = commandTable.get('SELECT');
  const examine = commandTable.get('EXAMINE');
  const fetch = commandTable.get('FETCH');
  const uidFetch = commandTable.get('UID FETCH');
  const enable = commandTable.get('ENABLE');
  if (!list || !create || !search || !select || !examine || !fetch || !uidFetch || !enable) throw new Error('imap-core lacks a command Postern extends');
  basic = { list, create, search };
  commandTable.set('APPEND', appendCommand);
  commandTable.set('LIST', listExtendedCommand(list));
  commandTable.set('CREATE', createSpecialUseCommand(create));
  commandTable.set('SORT', sortCommand(search));
  commandTable.set('UID SORT', sortCommand(search));
  // RFC 7162 §3.2: ENABLE QRESYNC, SELECT/EXAMINE (QRESYNC …) and UID FETCH (CHANGEDSINCE m VANISHED).
  commandTable.set('ENABLE', enableCommand(enable));
  commandTable.set('SELECT', qresyncSelectCommand(select));
  commandTable.set('EXAMINE', qresyncSelectCommand(examine));
  commandTable.set('FETCH', vanishedFetchCommand(fetch));
  commandTable.set('UID FETCH', vanishedFetchCommand(uidFetch));
  // RFC 3516 §4.2: BINARY[part]<partial>, BINARY.PEEK (turned into BINARY by the patched FETCH) and BINARY.SIZE[part].
  imapTools.fetchSchema['binary'] = [{ type: 'content', startFrom: 'optional', maxLength: 'optional' }];
  imapTools.fetchSchema['binary.size'] = [{ type: 'content' }];
}
