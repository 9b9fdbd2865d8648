// ENABLE QRESYNC (RFC 7162 §3.2.3) on top of imap-core's ENABLE (RFC 5161), which knows CONDSTORE and UTF8=ACCEPT.
import { nodeWord } from './command-args.js';
import type { CommandHandler } from './imap-core.js';
import { sessionState } from './session.js';

/**
 * Wraps imap-core's ENABLE: QRESYNC is taken out of the names and turned on
 * here, with CONDSTORE (§3.2.3: enabling QRESYNC enables CONDSTORE); the rest
 * go to imap-core, whose `* ENABLED` line (RFC 5161 §3.2) gets QRESYNC added.
 */
export function enableCommand(enable: CommandHandler): CommandHandler {
  return {
    ...enable,
    handler(command, callback) {
      const names = Array.isArray(command.attributes) ? command.attributes : [];
      if (!names.some((node) => nodeWord(node) === 'QRESYNC')) return enable.handler.call(this, command, callback);
      const state = sessionState(this.session);
      if (state) state.qresync = true;
      this.condstoreEnabled = true;
      const others = names.filter((node) => nodeWord(node) !== 'QRESYNC');
      if (others.length === 0) {
        this.send('* ENABLED QRESYNC');
        return callback(null, { response: 'OK', message: 'QRESYNC enabled' });
      }
      // imap-core's ENABLE answers at once: its ENABLED line passes here before the send is put back.
      const send = this.send;
      this.send = (line: string) => send.call(this, line.startsWith('* ENABLED') ? `${line} QRESYNC` : line);
      try {
        enable.handler.call(this, { ...command, attributes: others }, callback);
      } finally {
        this.send = send;
      }
    },
  };
}
