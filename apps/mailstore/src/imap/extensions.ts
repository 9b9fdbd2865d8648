// The IMAP extensions Postern adds to imap-core, and the capabilities that advertise them.
import { appendCommand } from './multiappend.js';
import { createSpecialUseCommand } from './create-special-use.js';
import { commandTable, imapTools, type CommandHandler } from './imap-core.js';
import { listExtendedCommand } from './list-extended.js';

/**
 * RFC 3501 §7.2.1: advertised beside imap-core's own, each only once it is
 * implemented and tested: RFC 7888 LITERAL+, RFC 3502 MULTIAPPEND, RFC 4731
 * ESEARCH, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154
 * CREATE-SPECIAL-USE and RFC 3516 BINARY.
 */
export const EXTENSION_CAPABILITIES = ['LITERAL+', 'MULTIAPPEND', 'ESEARCH', 'LIST-EXTENDED', 'LIST-STATUS', 'CREATE-SPECIAL-USE', 'BINARY'];

/** imap-core's own handlers, kept before they are wrapped (the table is shared by every server in the process). */
let basic: { list: CommandHandler; create: CommandHandler } | null = null;

/** Puts the extended commands into imap-core's command table (once per process). */
export function installExtensionCommands(): void {
  if (basic) return;
  const list = commandTable.get('LIST');
  const create = commandTable.get('CREATE');
  if (!list || !create) throw new Error('imap-core has no LIST or CREATE command');
  basic = { list, create };
  commandTable.set('APPEND', appendCommand);
  commandTable.set('LIST', listExtendedCommand(list));
  commandTable.set('CREATE', createSpecialUseCommand(create));
  // RFC 3516 §4.2: BINARY[part]<partial>, BINARY.PEEK (turned into BINARY by the patched FETCH) and BINARY.SIZE[part].
  imapTools.fetchSchema['binary'] = [{ type: 'content', startFrom: 'optional', maxLength: 'optional' }];
  imapTools.fetchSchema['binary.size'] = [{ type: 'content' }];
}
