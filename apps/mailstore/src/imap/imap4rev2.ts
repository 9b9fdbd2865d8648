// IMAP4rev2 (RFC 9051) beside IMAP4rev1: what changes for a session that gave ENABLE IMAP4rev2 (§6.3.1).
//
// A server advertising both IMAP4rev1 and IMAP4rev2 speaks rev1 until the client
// enables rev2 (RFC 9051 §6.3.1, Appendix A); a rev1 session sees exactly what it
// saw before. RFC 9051 Appendix E, item by item, and where each holds here:
// - Extensions folded into the base: NAMESPACE, UNSELECT, UIDPLUS (UID EXPUNGE,
//   APPENDUID/COPYUID), ESEARCH, SEARCHRES, ENABLE, IDLE, SASL-IR, LIST-EXTENDED,
//   LIST-STATUS, MOVE, LITERAL-, the FETCH side of BINARY, the SPECIAL-USE mailbox
//   attributes, the RFC 5530 response codes: all implemented for every session
//   already (imap-core and extensions.ts). LITERAL- (RFC 7888 §4) is met by
//   LITERAL+, which allows non-synchronizing literals of any size.
// - STATUS SIZE and DELETED (§6.3.11): status-size.ts, for every session.
// - SEARCH answers ESEARCH, never SEARCH (§6.4.4): esearchByDefaultCommand below.
// - \Recent, the RECENT response, STATUS RECENT and the NEW/OLD/RECENT search keys
//   are gone (§2.3.2, Appendix E): no message is \Recent for a rev2 session (it
//   claims none, recent.ts), so FETCH and SEARCH never see the flag; the RECENT
//   response is never sent (enableImap4rev2 below); STATUS RECENT answers 0.
// - SELECT/EXAMINE answer the mailbox's LIST response (§6.3.2): select.ts.
// - LIST (§6.3.9): \NonExistent for a hierarchy level that is no mailbox,
//   \HasChildren/\HasNoChildren and the special-use attributes: a rev2 session's
//   LIST always takes the LIST-EXTENDED path (list-extended.ts), which also answers
//   `LIST "" ""` with the hierarchy delimiter.
// - Mailbox names are UTF-8, not modified UTF-7 (§5.1), and message headers may be
//   UTF-8: imap-core's UTF8=ACCEPT switch does both, so ENABLE IMAP4rev2 turns it on.
//   A name whose octets are no UTF-8 is refused (mailboxes.ts).
// - APPENDLIMIT (RFC 7889) is advertised with the message size limit (server.ts).
// - Unsolicited FETCH responses include UID (§7.5.2, new against RFC 3501): vanished.ts
//   adds it, as it does for QRESYNC sessions.
// - The CLOSED response code when SELECT/EXAMINE closes the selected mailbox
//   (§6.3.2, §7.1): qresync-select.ts sends it in every session already.
// - Deprecated in rev2 but still answered (the server speaks rev1 too): CHECK, LSUB,
//   RFC822/RFC822.HEADER/RFC822.TEXT in FETCH, and the NEW/OLD/RECENT keys and
//   STATUS RECENT above (answered as if no message were \Recent, not BAD).
import { nodeWord } from './command-args.js';
import type { CommandHandler, ImapConnection, ImapSession } from './imap-core.js';
import { sessionState } from './session.js';

/** The RECENT response (RFC 3501 §7.3.2) as imap-core words it. */
const RECENT_RESPONSE = /^\* \d+ RECENT$/;

export function isImap4rev2(session: ImapSession): boolean {
  return sessionState(session)?.imap4rev2 ?? false;
}

/**
 * ENABLE IMAP4rev2 (RFC 9051 §6.3.1). Turns on UTF-8 mailbox names and headers
 * (§5.1; imap-core's UTF8=ACCEPT switch, RFC 6855 §3) and takes the RECENT
 * response out of everything imap-core sends this session (SELECT's `* n RECENT`):
 * Appendix E removes it from IMAP4rev2.
 */
export function enableImap4rev2(connection: ImapConnection & { acceptUTF8Enabled?: boolean }): void {
  const state = sessionState(connection.session);
  if (!state || state.imap4rev2) return;
  state.imap4rev2 = true;
  connection.acceptUTF8Enabled = true;
  const send = connection.send;
  connection.send = (line: string) => {
    if (!RECENT_RESPONSE.test(line)) send.call(connection, line);
  };
}

/**
 * RFC 9051 §6.4.4: in IMAP4rev2 every SEARCH is answered with ESEARCH; without
 * result options it is `RETURN (ALL)` (`RETURN ()` is the same, RFC 4731 §3.1),
 * and an empty result is still an ESEARCH line, `* ESEARCH (TAG "A283")`.
 */
export function esearchByDefaultCommand(search: CommandHandler): CommandHandler {
  return {
    ...search,
    handler(command, callback) {
      if (isImap4rev2(this.session) && Array.isArray(command.attributes) && command.attributes.length > 0 && nodeWord(command.attributes[0]) !== 'RETURN') {
        command.attributes.unshift({ type: 'ATOM', value: 'RETURN' }, []);
      }
      return search.handler.call(this, command, callback);
    },
  };
}

