// The IMAP greeting, without imap-core's client name lookup.
import type { ImapConnection } from './imap-core.js';

/**
 * imap-core's init() asks the system resolver for the client's name
 * (dns.reverse) and holds the greeting up to a second for it. Every lookup
 * must go through Postern's one resolver (SPEC §4) and the mailstore has no
 * use for client names, so the connection greets at once with its address:
 * the same RFC 3501 §7.1.1 OK greeting imap-core sends, and the name it uses
 * for an address it could not resolve.
 */
export function greetWithoutNameLookup(connection: ImapConnection, serverName: string): void {
  connection.init = () => {
    connection._setListeners();
    connection.session.clientHostname = connection.clientHostname = `[${connection.remoteAddress}]`;
    connection.send(`* OK ${serverName} ready for requests from ${connection.remoteAddress} ${connection.id}`);
  };
}
