import { formatReply, replyClass, type SmtpReply } from '../smtp-client/index.js';
import type { DeliveryRecipient, DeliveryStatus, RecipientOutcome } from '../types.js';

/** Why one server (or the route to it) could not take the message: the next one is tried. */
export interface HostFailure {
  /** The server's reply, or ours starting with its DSN code: "4.4.1 connect to …: Connection refused". */
  response: string;
  dsn: string;
  relay: string | null;
  remote: boolean;
}

/** What one attempt on one server came to. */
export type HostResult =
  | { kind: 'failed'; failure: HostFailure; /** the STARTTLS handshake failed under "may": the same host again in plaintext */ retryPlaintext?: boolean }
  | { kind: 'done'; outcomes: RecipientOutcome[] };

/** RFC 3463 §3.1: the class follows the reply; the server's own code when it gave one (RFC 2034). */
export function dsnOfReply(reply: SmtpReply): string {
  return reply.enhanced ?? `${replyClass(reply)}.0.0`;
}

/** A deferral carries a transient class whatever the last server said (Postfix's soft_bounce rewrite). */
export function transientDsn(dsn: string): string {
  return dsn.replace(/^5\./, '4.');
}

export function statusOfReply(reply: SmtpReply): DeliveryStatus {
  const klass = replyClass(reply);
  return klass === 2 ? 'delivered' : klass === 5 ? 'bounced' : 'deferred';
}

/** The outcome a server's reply gives one recipient. */
export function fromReply(address: string, reply: SmtpReply, relay: string): RecipientOutcome {
  return { address, status: statusOfReply(reply), response: formatReply(reply), dsn: dsnOfReply(reply), relay, remote: true };
}

/** A failure of the server as a HostFailure (the next host gets a chance). */
export function replyFailure(reply: SmtpReply, relay: string): HostFailure {
  return { response: formatReply(reply), dsn: transientDsn(dsnOfReply(reply)), relay, remote: true };
}

/** Our own verdict: "5.1.2 Host or domain name not found …" names its DSN code first. */
export function ownFailure(dsn: string, text: string, relay: string | null): HostFailure {
  return { response: `${dsn} ${text}`, dsn, relay, remote: false };
}

/** The same outcome for every recipient. */
export function everyone(recipients: readonly DeliveryRecipient[], status: DeliveryStatus, failure: HostFailure): RecipientOutcome[] {
  const dsn = status === 'deferred' ? transientDsn(failure.dsn) : failure.dsn;
  return recipients.map(({ address }) => ({ address, status, response: failure.response, dsn, relay: failure.relay, remote: failure.remote }));
}
