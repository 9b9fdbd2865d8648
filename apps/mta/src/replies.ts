/**
 * One SMTP reply with its RFC 3463 enhanced status code. Thrown from (or
 * passed to) smtp-server's handler callbacks: the library sends
 * `responseCode` and `message`, and the connection hook sends a message
 * that starts with an enhanced code as it is, instead of adding the
 * library's guess (which would read "554 5.6.0 5.7.1 …").
 */
export class SmtpReply extends Error {
  readonly responseCode: number;

  constructor(
    readonly code: number,
    readonly enhanced: string,
    readonly text: string,
  ) {
    super(`${enhanced} ${text}`);
    this.name = 'SmtpReply';
    this.responseCode = code;
  }

  /** The reply line as a client sees it, for logs (Postfix's "reject:" detail). */
  get line(): string {
    return `${this.code} ${this.enhanced} ${this.text}`;
  }

  get temporary(): boolean {
    return this.code >= 400 && this.code < 500;
  }
}


const bracket = (address: string): string => `<${address}>`;

/** The replies the MTA itself gives, worded as Postfix words them where one exists. */
export const replies = {
  // RFC 5321 §3.8: a server that is going away answers 421 and closes.
  shuttingDown: (hostname: string) => new SmtpReply(421, '4.3.2', `${hostname} Service shutting down, try again later`),
  // RFC 3463 X.3.2: the system is not accepting network messages right now.
  serviceBusy: (hostname: string) => new SmtpReply(421, '4.3.2', `${hostname} Error: too many connections, try again later`),
  tooManyConnections: (hostname: string, ip: string) => new SmtpReply(421, '4.7.0', `${hostname} Error: too many connections from ${ip}`),
  tooManyErrors: (hostname: string) => new SmtpReply(421, '4.7.0', `${hostname} Error: too many errors`),
  // disable_vrfy_command = yes (RFC 5321 §3.5.3 allows refusing VRFY).
  vrfyDisabled: () => new SmtpReply(502, '5.5.1', 'VRFY command is disabled'),
  // smtpd_tls_auth_only: no AUTH before STARTTLS (RFC 4954 §4: 530 5.7.0 for "encryption required").
  startTlsFirst: () => new SmtpReply(530, '5.7.0', 'Must issue a STARTTLS command first'),
  authNotEnabled: () => new SmtpReply(503, '5.5.1', 'Error: authentication not enabled'),
  authRequired: () => new SmtpReply(530, '5.7.0', 'Authentication required'),
  authFailed: () => new SmtpReply(535, '5.7.8', 'Error: authentication failed'),
  // RFC 4954 §6: 454 4.7.0 temporary authentication failure.
  authBanned: () => new SmtpReply(454, '4.7.0', 'Error: too many authentication failures, try again later'),
  authTemporary: () => new SmtpReply(454, '4.7.0', 'Temporary authentication failure'),
  authzidRefused: () => new SmtpReply(535, '5.7.8', 'Error: authorization identity differs from the login (not supported)'),
  senderNotOwned: (sender: string, login: string) => new SmtpReply(553, '5.7.1', `${bracket(sender)}: Sender address rejected: not owned by user ${login}`),
  badSender: (sender: string, reason: string) => new SmtpReply(501, '5.1.7', `${bracket(sender)}: Sender address rejected: ${reason}`),
  badRecipient: (rcpt: string, reason: string) => new SmtpReply(501, '5.1.3', `${bracket(rcpt)}: Recipient address rejected: ${reason}`),
  unknownRecipient: (rcpt: string, code: number) =>
    new SmtpReply(code, code >= 500 ? '5.1.1' : '4.1.1', `${bracket(rcpt)}: Recipient address rejected: User unknown in virtual mailbox table`),
  // RFC 3463 X.1.1 bad destination mailbox address: an SRS address of ours whose hash or timestamp does not verify.
  badSrsAddress: (rcpt: string, reason: string) => new SmtpReply(550, '5.1.1', `${bracket(rcpt)}: Recipient address rejected: invalid SRS address: ${reason}`),
  // RFC 3463 X.2.1: mailbox disabled, not accepting messages (`postern user disable`).
  mailboxDisabled: (rcpt: string, code: number) => new SmtpReply(code, code >= 500 ? '5.2.1' : '4.2.1', `${bracket(rcpt)}: Recipient address rejected: Mailbox disabled, not accepting messages`),
  // Issue 5 brings the outbound queue; until then nothing is accepted that could not be delivered.
  lookupFailed: (rcpt: string) => new SmtpReply(451, '4.3.0', `${bracket(rcpt)}: Temporary lookup failure`),
  encryptionRequired: () => new SmtpReply(530, '5.7.0', 'Must issue a STARTTLS command first'),
  // smtpd_forbid_bare_newline = reject (Postfix 3.9 wording).
  // RFC 3463 X.4.6: routing loop detected.
  tooManyHops: (hops: number, limit: number) => new SmtpReply(554, '5.4.6', `Too many hops: ${hops} Received fields, limit ${limit} (mail loop?)`),
  bareNewline: () => new SmtpReply(550, '5.5.2', 'Error: bare <CR> or <LF> received'),
  // RFC 3463 X.3.1 "mail system full": every slot of smtpd.message_concurrency_limit / in_flight_bytes_limit stayed taken.
  mailSystemFull: () => new SmtpReply(451, '4.3.1', 'Error: mail system full, try again later'),
  // RFC 1870 §6.1: a message larger than the room this server has (in_flight_bytes_limit), a temporary refusal.
  insufficientStorage: (limit: number) => new SmtpReply(452, '4.3.1', `Insufficient system storage (in_flight_bytes_limit ${limit})`),
  localError: () => new SmtpReply(451, '4.3.0', 'Error: local error in processing, try again later'),
  notReceived: () => new SmtpReply(451, '4.3.0', 'Error: message not received in full, nothing delivered'),
};
