import { Transform, type TransformCallback } from 'node:stream';
import { newMessageId, rfc5322Date } from '@postern/address';
import type { CipherNameAndProtocol } from 'node:tls';

/** What one Received trace field (RFC 5321 §4.4) says about a message. */
export interface ReceivedInfo {
  helo: string | null;
  /** Verified client name, or null ("unknown"). */
  clientHostname: string | null;
  clientAddress: string;
  hostname: string;
  /** RFC 3848 / RFC 6531 "with" keyword: ESMTP, ESMTPS, ESMTPSA, UTF8SMTPS, … */
  protocol: string;
  queueId: string;
  tls: CipherNameAndProtocol | false;
  /** The recipient, only when there is exactly one (Postfix does the same: no list of addresses in a header). */
  recipient: string | null;
  date: Date;
}

/** Client-chosen text goes into the header only as characters that cannot open a comment or a quoted string. */
function safeToken(text: string): string {
  return text.replace(/[^\p{L}\p{N}.\-_:[\]]/gu, '?').slice(0, 255) || 'unknown';
}

/**
 * RFC 3848: ESMTP, plus S with TLS, plus A once authenticated; RFC 6531 §3.7.3:
 * UTF8SMTP for SMTPUTF8 transactions. A client that said HELO gets SMTP.
 */
export function withProtocol(options: { ehlo: boolean; tls: boolean; authenticated: boolean; smtputf8: boolean }): string {
  const base = options.smtputf8 ? 'UTF8SMTP' : options.ehlo ? 'ESMTP' : 'SMTP';
  return `${base}${options.tls ? 'S' : ''}${options.authenticated ? 'A' : ''}`;
}

/** Our Received field, folded, with the TLS protocol and cipher as Postfix's smtpd_tls_received_header writes them. */
export function receivedHeader(info: ReceivedInfo): string {
  const lines = [`Received: from ${safeToken(info.helo ?? 'unknown')} (${info.clientHostname ? safeToken(info.clientHostname) : 'unknown'} [${info.clientAddress}])`];
  if (info.tls) lines.push(`\t(using ${info.tls.version} with cipher ${info.tls.standardName || info.tls.name})`);
  lines.push(`\tby ${info.hostname} (Postern) with ${info.protocol} id ${info.queueId}`);
  lines.push(info.recipient !== null ? `\tfor <${info.recipient}>; ${rfc5322Date(info.date)}` : `\t; ${rfc5322Date(info.date)}`);
  return `${lines.join('\r\n')}\r\n`;
}

// Postfix header_size_limit: past this much header, the rest is passed on untouched.
export const HEADER_LIMIT = 102_400;
const END_OF_HEADER = Buffer.from('\r\n\r\n');

/**
 * Postfix cleanup's additions to mail from our own clients (its
 * always_add_missing_headers = no: only for local_header_rewrite_clients):
 * our hostname for the Message-ID, the time the message came in for the Date.
 */
export interface MissingHeaders {
  hostname: string;
  date: Date;
}

/**
 * Puts our trace fields in front of the message and, when asked, drops every
 * Received field of the client's header (the guides' header_checks for
 * submission, which keep the sender's IP out of the message) and adds the
 * Date and Message-ID our own users' mail lacks. Expects CRLF
 * line endings (BareNewlineFilter runs first). Only the header is buffered.
 */
export class HeaderRewriter extends Transform {
  private header: Buffer[] = [];
  private headerBytes = 0;
  private passing = false;
  /** How many Received fields were dropped. */
  stripped = 0;
  /** How many Received fields the client's header carried (the hop count, RFC 5321 §6.3), dropped or not. */
  received = 0;
  /** The Message-ID field's value, for the log. */
  messageId: string | null = null;

  constructor(
    private readonly prepend: string,
    private readonly stripReceived: boolean,
    private readonly addMissing: MissingHeaders | null = null,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.passing) return callback(null, chunk);
    this.header.push(chunk);
    this.headerBytes += chunk.length;
    const buffered = Buffer.concat(this.header, this.headerBytes);
    // A message that opens with an empty line has no header at all (RFC 5322 §2.1).
    const end = buffered.subarray(0, 2).equals(END_OF_HEADER.subarray(0, 2)) ? 0 : buffered.indexOf(END_OF_HEADER);
    if (end >= 0) {
      const headerEnd = end === 0 ? 0 : end + 2;
      this.emitHeader(buffered.subarray(0, headerEnd));
      this.passing = true;
      return callback(null, buffered.subarray(headerEnd));
    }
    if (this.headerBytes > HEADER_LIMIT) {
      this.passing = true;
      this.pushPrepend();
      return callback(null, buffered);
    }
    this.header = [buffered];
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (!this.passing) {
      // Header only, no body: it still gets rewritten.
      this.emitHeader(Buffer.concat(this.header, this.headerBytes));
    }
    callback();
  }

  private pushPrepend(): void {
    if (this.prepend !== '') this.push(Buffer.from(this.prepend));
  }

  private emitHeader(header: Buffer): void {
    this.header = [];
    this.pushPrepend();
    const kept: Buffer[] = [];
    let field = '';
    let capturing = false;
    let lineStart = 0;
    let hasDate = false;
    let hasMessageId = false;
    while (lineStart < header.length) {
      const lf = header.indexOf(0x0a, lineStart);
      const lineEnd = lf < 0 ? header.length : lf + 1;
      const line = header.subarray(lineStart, lineEnd);
      // RFC 5322 §2.2.3: a line starting with WSP continues the field above it.
      const continuation = line[0] === 0x20 || line[0] === 0x09;
      if (!continuation) {
        const colon = line.indexOf(0x3a);
        field = colon > 0 ? line.subarray(0, colon).toString('latin1').trim().toLowerCase() : '';
        if (field === 'received') this.received++;
        if (field === 'date') hasDate = true;
        if (field === 'message-id') hasMessageId = true;
        if (field === 'received' && this.stripReceived) this.stripped++;
        capturing = field === 'message-id' && this.messageId === null;
        if (capturing) this.messageId = '';
      }
      if (capturing) {
        const value = line.subarray(continuation ? 0 : line.indexOf(0x3a) + 1).toString('utf8');
        this.messageId = `${this.messageId ?? ''} ${value}`.replace(/\s+/g, ' ').trim();
      }
      if (!(field === 'received' && this.stripReceived)) kept.push(line);
      lineStart = lineEnd;
    }
    if (this.addMissing !== null) {
      if (kept.length > 0 && kept.at(-1)?.at(-1) !== 0x0a) kept.push(Buffer.from('\r\n'));
      // RFC 5322 §3.6: Date is required, Message-ID should be there; RFC 6409 §8.3 lets submission add them.
      if (!hasDate) kept.push(Buffer.from(`Date: ${rfc5322Date(this.addMissing.date)}\r\n`));
      if (!hasMessageId) {
        const id = newMessageId(this.addMissing.hostname, this.addMissing.date);
        kept.push(Buffer.from(`Message-ID: ${id}\r\n`));
        this.messageId ??= id;
      }
    }
    if (kept.length > 0) this.push(Buffer.concat(kept));
  }
}
