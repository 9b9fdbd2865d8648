// ENABLE (RFC 5161) for the extensions a client must turn on: CONDSTORE, QRESYNC and UTF8=ACCEPT.
import { nodeWord } from './command-args.js';
import type { CommandHandler } from './imap-core.js';
import { sessionState } from './session.js';

/**
 * RFC 5161 §3.1: `ENABLE capability…` in the authenticated state; the server
 * answers `* ENABLED` with the names it turned on and ignores the others.
 * Takes the place of imap-core's ENABLE, which knows no QRESYNC.
 */
export const enableCommand: CommandHandler = {
  state: ['Authenticated'],
  schema: false,
  handler(command, callback) {
    const names = Array.isArray(command.attributes) ? command.attributes.map((node) => nodeWord(node)) : [];
    if (names.length === 0 || names.some((name) => !name)) return callback(new Error('ENABLE expects capability names'));
    const enabled: string[] = [];
    for (const name of names) {
      if (enabled.includes(name!)) continue;
      if (name === 'CONDSTORE') this.condstoreEnabled = true;
      else if (name === 'QRESYNC') {
        // RFC 7162 §3.2.3: enabling QRESYNC also enables CONDSTORE.
        this.condstoreEnabled = true;
        const state = sessionState(this.session);
        if (state) state.qresync = true;
      } else if (name === 'UTF8=ACCEPT') this.acceptUTF8Enabled = true;
      else continue;
      enabled.push(name!);
    }
    this.send(`* ENABLED${enabled.map((name) => ` ${name}`).join('')}`);
    callback(null, { response: 'OK', message: enabled.length === 0 ? 'Nothing enabled' : `${enabled.join(' ')} enabled` });
  },
};
