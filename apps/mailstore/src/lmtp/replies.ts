import type { MimeLimitExceeded } from '@postern/mime';

/**
 * One LMTP reply. smtp-server sends a handler's error, and each Error entry of
 * onData's per-recipient array (RFC 2033 §4.2), as `responseCode`, the RFC 3463
 * enhanced code it maps from that code, then the message: 250 → 2.0.0,
 * 451 → 4.3.0, 452 → 4.2.2, 501 → 5.5.4, 503 → 5.5.1, 550 → 5.1.1. Success is
 * an LmtpReply too so that it reads 250 2.0.0 rather than the library's 2.6.0.
 */
export class LmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'LmtpReply';
  }

  /** The reply line as the client sees it, for the log (without the enhanced code). */
  get line(): string {
    return `${this.responseCode} ${this.message}`;
  }
}

const bracket = (address: string): string => `<${address}>`;

export const replies = {
  saved: (rcpt: string) => new LmtpReply(250, `${bracket(rcpt)} Saved`),
  /** Every copy was stored by an earlier delivery of the same queue entry (XFORWARD IDENT): nothing stored twice. */
  alreadyDelivered: (rcpt: string, queueId: string) => new LmtpReply(250, `${bracket(rcpt)} already delivered (queue id ${queueId})`),
  /** An alias whose targets are all off-site: the queue entry that forwards it is durable. */
  forwarded: (rcpt: string, queueId: string) => new LmtpReply(250, `${bracket(rcpt)} Ok: queued as ${queueId} for forwarding`),
  // RFC 3463 X.1.1: an SRS address of ours whose hash or timestamp does not verify.
  badSrsAddress: (rcpt: string, reason: string) => new LmtpReply(550, `5.1.1 ${bracket(rcpt)} Invalid SRS address: ${reason}`),
  unknownUser: (rcpt: string) => new LmtpReply(550, `${bracket(rcpt)} User unknown in this mailstore`),
  // RFC 3463 X.2.1 (the code as smtpd.disabled_mailbox_reject_code says, 550 or a 4xx).
  mailboxDisabled: (rcpt: string, code: number) => new LmtpReply(code, `${code >= 500 ? '5' : '4'}.2.1 ${bracket(rcpt)} Mailbox disabled, not accepting messages`),
  mailboxFull: (rcpt: string) => new LmtpReply(452, `${bracket(rcpt)} Mailbox full: quota exceeded, try again later`),
  badAddress: (rcpt: string, reason: string) => new LmtpReply(501, `${bracket(rcpt)} Bad recipient address syntax: ${reason}`),
  duplicateRecipient: (rcpt: string) => new LmtpReply(503, `${bracket(rcpt)} Duplicate recipient in this transaction`),
  // Postfix local(8)'s wording; RFC 3463 X.4.6: routing loop detected.
  forwardingLoop: (rcpt: string) => new LmtpReply(554, `5.4.6 ${bracket(rcpt)} mail forwarding loop for ${rcpt}`),
  // RFC 3463 X.3.0 (451 → 4.3.0): the mail system is busy; the client keeps the message and retries.
  storeBusy: (rcpt: string) => new LmtpReply(451, `${bracket(rcpt)} Mailbox database busy, try again later`),
  localError: (rcpt?: string) => new LmtpReply(451, `${rcpt === undefined ? '' : `${bracket(rcpt)} `}Local error in processing, try again later`),
  // Postfix cleanup's wording for a structure past mime_nesting_limit, header_size_limit, … (the status comes with it).
  contentRefused: (rcpt: string, exceeded: MimeLimitExceeded) => new LmtpReply(exceeded.code, `${exceeded.status} ${bracket(rcpt)} message content rejected: ${exceeded.text}`),
  // RFC 5429 §2.1.1: reject refuses at the protocol level, 550 5.7.1 with the script's reason (one ASCII line).
  sieveRejected: (rcpt: string, reason: string) =>
    new LmtpReply(550, `5.7.1 ${bracket(rcpt)} ${reason.replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, 200) || 'Rejected by the recipient\'s filter'}`),
  messageTooBig: (limit: number) => new LmtpReply(552, `Message exceeds fixed maximum message size ${limit}`),
  notReceived: () => new LmtpReply(451, 'Message not received in full, nothing stored'),
  shuttingDown: () => new LmtpReply(421, 'Service shutting down, try again later'),
};
