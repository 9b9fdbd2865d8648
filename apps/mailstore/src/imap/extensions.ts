// The IMAP extensions Postern adds to imap-core, and the capabilities that advertise them.
import { appendCommand } from './multiappend.js';
import { createSpecialUseCommand } from './create-special-use.js';
import { enableCommand } from './enable.js';
import { vanishedFetchCommand } from './fetch-vanished.js';
import { commandTable, imapTools, type CommandHandler, type ParsedCommand } from './imap-core.js';
import { takeSearchReturn, type EsearchResponse } from './esearch.js';
import { esearchByDefaultCommand } from './imap4rev2.js';
import { listExtendedCommand } from './list-extended.js';
import { qresyncSelectCommand } from './qresync-select.js';
import { savedResultCommand, savingSearchCommand, type SavingSearch } from './searchres.js';
import { sortCommand, sortLine } from './sort.js';
import { statusItemsCommand } from './status-size.js';
import { THREAD_ALGORITHMS, threadAnswer, threadCommand, type ThreadingSearch } from './thread.js';

/**
 * RFC 3501 §7.2.1: advertised beside imap-core's own, each only once it is
 * implemented and tested: RFC 7888 LITERAL+, RFC 3502 MULTIAPPEND, RFC 4469
 * CATENATE, RFC 4731
 * ESEARCH, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154
 * CREATE-SPECIAL-USE, RFC 3516 BINARY, RFC 5256 SORT and THREAD (RFC 5256
 * §3: one THREAD=alg per algorithm), RFC 5182 SEARCHRES, RFC 7162 QRESYNC,
 * RFC 8438 STATUS=SIZE and RFC 9051 IMAP4rev2 (beside imap-core's IMAP4rev1:
 * a session speaks rev2 after ENABLE IMAP4rev2, see imap4rev2.ts).
 */
export const EXTENSION_CAPABILITIES = [
  'LITERAL+',
  'MULTIAPPEND',
  'CATENATE',
  'ESEARCH',
  'LIST-EXTENDED',
  'LIST-STATUS',
  'CREATE-SPECIAL-USE',
  'BINARY',
  'SORT',
  ...THREAD_ALGORITHMS.map((algorithm) => `THREAD=${algorithm}`),
  'SEARCHRES',
  'QRESYNC',
  'STATUS=SIZE',
  'IMAP4rev2',
];

/** imap-core's SEARCH asks this how to answer: `* SORT` for a SORT, `* THREAD` for a THREAD, ESEARCH for RETURN (…), else its own `* SEARCH`. */
export function searchAnswer(command: ParsedCommand, isUid: boolean): EsearchResponse | Error | false {
  if ('sort' in command) return sortLine;
  if ('thread' in command) return threadAnswer((command as ThreadingSearch).thread);
  return takeSearchReturn(command, isUid, 'saveResult' in command ? (command as SavingSearch).saveResult : undefined);
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
  const status = commandTable.get('STATUS');
  if (!list || !create || !search || !select || !examine || !fetch || !uidFetch || !enable || !status) throw new Error('imap-core lacks a command Postern extends');
  basic = { list, create, search };
  commandTable.set('APPEND', appendCommand);
  commandTable.set('LIST', listExtendedCommand(list));
  commandTable.set('CREATE', createSpecialUseCommand(create));
  // RFC 9051 §6.3.11, RFC 8438: STATUS SIZE and DELETED.
  commandTable.set('STATUS', statusItemsCommand(status));
  // RFC 7162 §3.2: ENABLE QRESYNC, SELECT/EXAMINE (QRESYNC …) and UID FETCH (CHANGEDSINCE m VANISHED).
  commandTable.set('ENABLE', enableCommand(enable));
  commandTable.set('SELECT', qresyncSelectCommand(select));
  commandTable.set('EXAMINE', qresyncSelectCommand(examine));
  commandTable.set('FETCH', vanishedFetchCommand(fetch));
  commandTable.set('UID FETCH', vanishedFetchCommand(uidFetch));
  // RFC 5182 §2.1: "$" in the search keys of SEARCH, SORT and THREAD; SEARCH RETURN (SAVE).
  const searching = savingSearchCommand(search);
  // RFC 9051 §6.4.4: an IMAP4rev2 session's SEARCH is answered with ESEARCH.
  commandTable.set('SEARCH', esearchByDefaultCommand(searching));
  commandTable.set('UID SEARCH', esearchByDefaultCommand(searching));
  commandTable.set('SORT', sortCommand(searching));
  commandTable.set('UID SORT', sortCommand(searching));
  commandTable.set('THREAD', threadCommand(searching));
  commandTable.set('UID THREAD', threadCommand(searching));
  // RFC 5182 §2.1: "$" as the sequence set of the commands that take one.
  for (const name of ['FETCH', 'UID FETCH', 'STORE', 'UID STORE', 'COPY', 'UID COPY', 'MOVE', 'UID MOVE', 'UID EXPUNGE']) {
    const command = commandTable.get(name);
    if (command) commandTable.set(name, savedResultCommand(command));
  }
  // RFC 3516 §4.2: BINARY[part]<partial>, BINARY.PEEK (turned into BINARY by the patched FETCH) and BINARY.SIZE[part].
  imapTools.fetchSchema['binary'] = [{ type: 'content', startFrom: 'optional', maxLength: 'optional' }];
  imapTools.fetchSchema['binary.size'] = [{ type: 'content' }];
}
