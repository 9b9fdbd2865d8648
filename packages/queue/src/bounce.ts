// Composes a delivery status notification: RFC 3464 inside an RFC 6522 multipart/report (Postfix bounce(8)'s job).
import { randomBytes } from 'node:crypto';
import { rfc5322Date } from '@postern/address';
import { fieldText, finalRecipientValue, needsUtf8, originalRecipientValue } from './dsn.js';

/** What the DSN reports: failed recipients (a bounce), delayed ones (a warning), or delivered/relayed ones (NOTIFY=SUCCESS). */
export type DsnKind = 'failure' | 'delay' | 'success';

/** One recipient's line in the report. */
export interface DsnRecipient {
  address: string;
  /** RFC 3461 ORCPT as given by the client (addr-type;address). */
  orcpt: string | null;
  /**
   * RFC 3464 §2.3.3: `failed` in a bounce, `delayed` in a delay warning; in a
   * success report `delivered` (into the mailbox) or `relayed` (to a server
   * that takes no NOTIFY, RFC 3461 §5.2.2).
   */
  action: 'failed' | 'delayed' | 'delivered' | 'relayed';
  /** RFC 3463 status code, e.g. 5.1.1, 4.4.7 or 2.0.0. */
  status: string;
  /** The reply that decided it: the remote server's, or our own reason. */
  reply: string;
  /** Said before the reply in the human part, e.g. why a deferred recipient was given up. */
  explanation?: string | null;
  /** The remote MTA's host name when the reply came from it (Remote-MTA and Diagnostic-Code smtp;). */
  remoteMta: string | null;
  /** Where the reply came from, for the human part, e.g. mx.example.net[127.0.0.5]:25. */
  relay: string | null;
  lastAttempt: Date | null;
  /** For `delayed`: when the queue gives up (RFC 3464 §2.3.7). */
  willRetryUntil: Date | null;
}

export interface DsnReport {
  kind: DsnKind;
  /** Our host name: Reporting-MTA and MAILER-DAEMON's domain. */
  hostname: string;
  /** The queue id of the message reported on. */
  queueId: string;
  /** The envelope sender of the original message: the DSN's recipient. */
  sender: string;
  /** RFC 3461 ENVID, decoded. */
  envid: string | null;
  /** RFC 3461 RET: FULL (or unset) returns the message, HDRS only its header; only a failure report heeds it (§4.3). */
  ret: 'FULL' | 'HDRS' | null;
  arrivalDate: Date;
  recipients: DsnRecipient[];
  /** The original message, CRLF lines. */
  original: Buffer;
  /** The original's header is UTF-8 (SMTPUTF8): returned as message/global (RFC 6532 §3.7). */
  originalUtf8?: boolean;
  /** Fixed values for tests; fresh ones otherwise. */
  date?: Date;
  messageId?: string;
  boundary?: string;
}

export interface ComposedDsn {
  message: Buffer;
  /** The DSN carries 8-bit octets: send with BODY=8BITMIME. */
  eightBit: boolean;
  /** The DSN needs SMTPUTF8 (an internationalized address or header in it). */
  smtputf8: boolean;
  /** How the original came back. */
  returned: 'message' | 'headers';
}

/** Postfix returns the whole message by default; beyond this size only its header comes back. */
export const FULL_RETURN_LIMIT = 10 * 1024 * 1024;

const CRLF = '\r\n';

const SUBJECT: Readonly<Record<DsnKind, string>> = {
  failure: 'Undelivered Mail Returned to Sender',
  delay: 'Delayed Mail (still being retried)',
  success: 'Successful Mail Delivery Report',
};

/** Builds the DSN message (CRLF lines, ready for the queue). */
export function buildBounce(report: DsnReport): ComposedDsn {
  if (report.recipients.length === 0) throw new Error('a DSN needs at least one recipient');
  const date = report.date ?? new Date();
  const boundary = report.boundary ?? `${report.queueId}.${date.getTime()}.${randomBytes(6).toString('hex')}/${report.hostname}`;
  const messageId = report.messageId ?? `<${date.getTime()}.${randomBytes(6).toString('hex')}.${safeIdPart(report.queueId)}@${report.hostname}>`;
  const original = returnedPart(report);
  const human = humanPart(report);
  const status = deliveryStatusPart(report);
  const utf8Status = status.utf8;

  const header = [
    `From: Mail Delivery System <MAILER-DAEMON@${report.hostname}>`,
    `To: ${fieldText(report.sender)}`,
    `Subject: ${SUBJECT[report.kind]}`,
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: ${messageId}`,
    // RFC 3834 §5: an automatic response; RFC 3464 §2 asks DSNs not to trigger replies.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    // RFC 6522 §3: report-type names the second part's type.
    `Content-Type: multipart/report; report-type=${utf8Status ? 'global-delivery-status' : 'delivery-status'};${CRLF}\tboundary="${boundary}"`,
    `Content-Transfer-Encoding: ${original.eightBit || human.eightBit || utf8Status ? '8bit' : '7bit'}`,
  ];

  const chunks: Buffer[] = [
    text(header.join(CRLF) + CRLF + CRLF),
    text(`This is a MIME-encapsulated message.${CRLF}${CRLF}`),
    text(`--${boundary}${CRLF}`),
    text(
      [
        'Content-Description: Notification',
        'Content-Type: text/plain; charset=utf-8',
        `Content-Transfer-Encoding: ${human.eightBit ? '8bit' : '7bit'}`,
        '',
        human.body,
      ].join(CRLF),
    ),
    text(`${CRLF}--${boundary}${CRLF}`),
    text(
      [
        `Content-Description: ${report.kind === 'delay' ? 'Delivery delay report' : 'Delivery report'}`,
        // RFC 6533 §6: with internationalized addresses the report is message/global-delivery-status.
        `Content-Type: message/${utf8Status ? 'global-delivery-status' : 'delivery-status'}`,
        ...(utf8Status ? ['Content-Transfer-Encoding: 8bit'] : []),
        '',
        status.body,
      ].join(CRLF),
    ),
    text(`${CRLF}--${boundary}${CRLF}`),
    text(original.header.join(CRLF) + CRLF + CRLF),
    original.body,
    // RFC 2046 §5.1.1: the CRLF before a boundary belongs to the boundary, so the original keeps its own last CRLF.
    text(`${CRLF}--${boundary}--${CRLF}`),
  ];
  const message = Buffer.concat(chunks);
  return {
    message,
    eightBit: original.eightBit || human.eightBit || utf8Status,
    smtputf8: needsUtf8(report.sender) || utf8Status || (report.originalUtf8 === true && original.eightBit),
    returned: original.kind,
  };
}

/** The first part: what happened, for a person to read. */
function humanPart(report: DsnReport): { body: string; eightBit: boolean } {
  const lines: string[] = [`This is the mail system at host ${report.hostname}.`, ''];
  if (report.kind === 'delay') {
    const until = report.recipients.map((recipient) => recipient.willRetryUntil).find((value) => value !== null);
    lines.push(
      'This is a warning only; you do not need to send your message again.',
      '',
      'Your message could not be delivered yet to the recipients below.',
      until ? `The mail system keeps trying until ${rfc5322Date(until)}.` : 'The mail system keeps trying.',
    );
  } else if (report.kind === 'success') {
    lines.push(
      'Your message was delivered to the recipients below, as you asked to be told.',
      'A message delivered into a mailbox brings no further notification; a message',
      'relayed onwards may still bring reports of trouble from the systems beyond.',
    );
  } else {
    lines.push(
      'Your message could not be delivered to the recipients below.',
      'The reason for each is given under its address.',
    );
  }
  lines.push(
    returnsWholeMessage(report) ? 'Your message is attached below.' : 'The header of your message is attached below.',
    '',
    `If you need help, write to postmaster@${report.hostname} and include this report.`,
    '',
  );
  for (const recipient of report.recipients) {
    lines.push(`<${fieldText(recipient.address)}>:`);
    if (recipient.explanation) lines.push(...wrap(fieldText(recipient.explanation), 76, '    ', '    '));
    lines.push(...wrap(replyText(recipient), 76, '    ', '    '), '');
  }
  const body = lines.join(CRLF);
  return { body, eightBit: needsUtf8(body) };
}

/** The reply under a recipient's address, with where it came from and, in a success report, what became of the message. */
function replyText(recipient: DsnRecipient): string {
  const reply = fieldText(recipient.reply);
  const host = recipient.remoteMta !== null && recipient.relay !== null ? fieldText(recipient.relay) : null;
  switch (recipient.action) {
    case 'delivered':
      return host === null ? `delivered to the mailbox: ${reply}` : `delivered to the mailbox by ${host}: ${reply}`;
    case 'relayed':
      return host === null ? `relayed: ${reply}` : `relayed to ${host}, which sends no delivery notifications; it said: ${reply}`;
    default:
      return host === null ? reply : `host ${host} said: ${reply}`;
  }
}

/** The second part: RFC 3464 §2.2 per-message fields, then §2.3 one group per recipient. */
function deliveryStatusPart(report: DsnReport): { body: string; utf8: boolean } {
  const fields: string[] = [
    `Reporting-MTA: dns; ${report.hostname}`,
    `X-Postern-Queue-ID: ${fieldText(report.queueId)}`,
  ];
  if (report.envid !== null && fieldText(report.envid) !== '') fields.push(`Original-Envelope-Id: ${fieldText(report.envid)}`);
  fields.push(`Arrival-Date: ${rfc5322Date(report.arrivalDate)}`);
  const groups = [fields.join(CRLF)];
  for (const recipient of report.recipients) {
    const group = [`Final-Recipient: ${finalRecipientValue(recipient.address)}`];
    const original = recipient.orcpt === null ? null : originalRecipientValue(recipient.orcpt);
    if (original !== null) group.push(`Original-Recipient: ${original}`);
    group.push(`Action: ${recipient.action}`, `Status: ${recipient.status}`);
    if (recipient.remoteMta !== null) {
      group.push(`Remote-MTA: dns; ${fieldText(recipient.remoteMta)}`);
      // RFC 3464 §2.3.6: the remote's reply verbatim, as an smtp diagnostic.
      group.push(...fold(`Diagnostic-Code: smtp; ${fieldText(recipient.reply)}`));
    } else {
      // Our own reason (nothing answered, or we gave up): a diagnostic of our own type, as Postfix's X-Postfix.
      group.push(...fold(`Diagnostic-Code: X-Postern; ${fieldText(recipient.reply)}`));
    }
    if (recipient.lastAttempt !== null) group.push(`Last-Attempt-Date: ${rfc5322Date(recipient.lastAttempt)}`);
    if (recipient.action === 'delayed' && recipient.willRetryUntil !== null) group.push(`Will-Retry-Until: ${rfc5322Date(recipient.willRetryUntil)}`);
    groups.push(group.join(CRLF));
  }
  const body = groups.join(CRLF + CRLF) + CRLF;
  return { body, utf8: needsUtf8(body) };
}

interface ReturnedPart {
  kind: 'message' | 'headers';
  header: string[];
  body: Buffer;
  eightBit: boolean;
}

const HEADERS_DESCRIPTION: Readonly<Record<DsnKind, string>> = {
  failure: 'Undelivered Message Headers',
  delay: 'Delayed Message Headers',
  success: 'Delivered Message Headers',
};

/** The third part: the message (message/rfc822) or only its header (text/rfc822-headers, RFC 6522 §4). */
function returnedPart(report: DsnReport): ReturnedPart {
  if (returnsWholeMessage(report)) {
    const eightBit = hasEightBit(report.original);
    const type = report.originalUtf8 === true && eightBit ? 'message/global' : 'message/rfc822';
    return {
      kind: 'message',
      header: ['Content-Description: Undelivered Message', `Content-Type: ${type}`, ...(eightBit ? ['Content-Transfer-Encoding: 8bit'] : [])],
      body: report.original,
      eightBit,
    };
  }
  const headers = headerOf(report.original);
  const eightBit = hasEightBit(headers);
  // RFC 6532 §3.7 / RFC 6533 §6.3: an internationalized header comes back as message/global-headers.
  const type = report.originalUtf8 === true && eightBit ? 'message/global-headers' : 'text/rfc822-headers';
  return {
    kind: 'headers',
    header: [
      `Content-Description: ${HEADERS_DESCRIPTION[report.kind]}`,
      `Content-Type: ${type}`,
      ...(eightBit ? ['Content-Transfer-Encoding: 8bit'] : []),
    ],
    body: headers,
    eightBit,
  };
}

/**
 * RET=HDRS asks for the header only (RFC 3461 §4.3). RET governs failure
 * reports alone: a report without a failure returns only the header (§4.3),
 * so delay warnings and success reports never carry the body; nor do very
 * large messages.
 */
function returnsWholeMessage(report: DsnReport): boolean {
  return report.kind === 'failure' && report.ret !== 'HDRS' && report.original.length <= FULL_RETURN_LIMIT;
}

/** The header section of a message, up to and including its last line (without the empty line). */
export function headerOf(message: Buffer): Buffer {
  if (message.subarray(0, 2).equals(Buffer.from(CRLF))) return Buffer.alloc(0);
  const end = message.indexOf('\r\n\r\n');
  if (end >= 0) return message.subarray(0, end + 2);
  const bareEnd = message.indexOf('\n\n');
  if (bareEnd >= 0) return message.subarray(0, bareEnd + 1);
  return endsWithCrlf(message) ? message : Buffer.concat([message, Buffer.from(CRLF)]);
}

/** RFC 5322 §2.2.3: long fields folded at spaces so that no line grows past 78 characters where it can be helped. */
function fold(field: string): string[] {
  return wrap(field, 78, '', '\t');
}

/** Cuts text into lines of at most `width` characters at spaces (a longer word keeps its own line). */
function wrap(textLine: string, width: number, firstIndent: string, indent: string): string[] {
  const words = textLine.split(' ').filter((word) => word !== '');
  const lines: string[] = [];
  let line = firstIndent;
  let empty = true;
  for (const word of words) {
    if (empty) line += word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = indent + word;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}

function text(value: string): Buffer {
  return Buffer.from(value, 'utf8');
}

function endsWithCrlf(data: Buffer): boolean {
  return data.length >= 2 && data[data.length - 2] === 0x0d && data[data.length - 1] === 0x0a;
}

function hasEightBit(data: Buffer): boolean {
  for (const byte of data) if (byte > 0x7f) return true;
  return false;
}

/** A queue id as it may appear inside a Message-ID (RFC 5322 §3.6.4 dot-atom-text). */
function safeIdPart(value: string): string {
  return value.replace(/[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g, '') || 'dsn';
}
