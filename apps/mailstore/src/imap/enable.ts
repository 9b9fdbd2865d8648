// ENABLE QRESYNC (RFC 7162 §3.2.3) and ENABLE IMAP4rev2 (RFC 9051 §6.3.1) on top of imap-core's ENABLE (RFC 5161), which knows CONDSTORE and UTF8=ACCEPT.
import { nodeWord } from './command-args.js';
import type { CommandHandler, CommandNode } from './imap-core.js';
import { enableImap4rev2 } from './imap4rev2.js';
import { sessionState } from './session.js';

/** The names this server enables itself; imap-core ignores them (RFC 5161 §3.1: unknown names are ignored). */
const OWN_EXTENSIONS = ['QRESYNC', 'IMAP4rev2'] as const;

/**
 * Wraps imap-core's ENABLE: QRESYNC and IMAP4rev2 are taken out of the names
 * and turned on here (QRESYNC with CONDSTORE, §3.2.3: enabling QRESYNC enables
 * CONDSTORE); the rest go to imap-core, whose `* ENABLED` line (RFC 5161 §3.2)
 * gets them added. ENABLE leaves CAPABILITY as it was (RFC 9051 §6.3.1).
 */
export function enableCommand(enable: CommandHandler): CommandHandler {
  return {
    ...enable,
    handler(command, callback) {
      const names: CommandNode[] = Array.isArray(command.attributes) ? command.attributes : [];
      const own = OWN_EXTENSIONS.filter((name) => names.some((node) => nodeWord(node) === name.toUpperCase()));
      if (own.length === 0) return enable.handler.call(this, command, callback);
      const state = sessionState(this.session);
      if (own.includes('QRESYNC')) {
        if (state) state.qresync = true;
        this.condstoreEnabled = true;
      }
      const others = names.filter((node) => !own.some((name) => nodeWord(node) === name.toUpperCase()));
      if (others.length === 0) {
        this.send(`* ENABLED ${own.join(' ')}`);
        callback(null, { response: 'OK', message: own.length === 1 ? 'Extension enabled' : 'Extensions enabled' });
      } else {
        // imap-core's ENABLE answers at once: its ENABLED line passes here before the send is put back.
        const send = this.send;
        this.send = (line: string) => send.call(this, line.startsWith('* ENABLED') ? `${line} ${own.join(' ')}` : line);
        try {
          enable.handler.call(this, { ...command, attributes: others }, callback);
        } finally {
          this.send = send;
        }
      }
      // After the ENABLED line: from here on the session speaks IMAP4rev2.
      if (own.includes('IMAP4rev2')) enableImap4rev2(this);
    },
  };
}
