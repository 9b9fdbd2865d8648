import { SmtpClientError } from './errors.js';

/** One server reply, every line of a multi-line reply gathered (RFC 5321 §4.2.1). */
export interface SmtpReply {
  code: number;
  /** RFC 3463 enhanced status code when the server sent one (RFC 2034 §3). */
  enhanced: string | null;
  /** The text of each line, without the code and without a repeated enhanced code. */
  lines: string[];
}

// RFC 2034 §4: class.subject.detail right after the code.
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;
const REPLY_LINE = /^(\d{3})([ -]|$)(.*)$/s;
// RFC 5321 §4.5.3.1.5 allows 512 octets; Postfix and we tolerate longer lines, up to this.
export const MAX_REPLY_LINE = 4096;

/** "550 5.1.1 <bob@example.net>: Recipient address rejected": the reply as one line. */
export function formatReply(reply: SmtpReply): string {
  const text = reply.lines.join(' ').trim();
  const head = reply.enhanced === null ? String(reply.code) : `${reply.code} ${reply.enhanced}`;
  return text === '' ? head : `${head} ${text}`;
}

/** The class digit of the reply: 2 success, 3 intermediate, 4 transient, 5 permanent (RFC 5321 §4.2.1). */
export function replyClass(reply: SmtpReply): number {
  return Math.floor(reply.code / 100);
}

/**
 * Cuts the server's byte stream into replies. Lines end in CRLF (a bare LF is
 * accepted, as Postfix does); a line longer than MAX_REPLY_LINE, a line that
 * is not a reply, or a continuation with another code is a protocol error.
 */
export class ReplyParser {
  private pending: Buffer = Buffer.alloc(0);
  private code: number | null = null;
  private lines: string[] = [];

  /** Feeds received bytes; returns the replies they completed. Throws SmtpClientError('protocol'). */
  push(chunk: Buffer): SmtpReply[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const replies: SmtpReply[] = [];
    let lf = this.pending.indexOf(0x0a);
    while (lf >= 0) {
      const end = lf > 0 && this.pending[lf - 1] === 0x0d ? lf - 1 : lf;
      if (end > MAX_REPLY_LINE) throw tooLong();
      const line = this.pending.subarray(0, end).toString('utf8');
      this.pending = this.pending.subarray(lf + 1);
      const reply = this.line(line);
      if (reply) replies.push(reply);
      lf = this.pending.indexOf(0x0a);
    }
    if (this.pending.length > MAX_REPLY_LINE) throw tooLong();
    return replies;
  }

  private line(line: string): SmtpReply | null {
    const match = REPLY_LINE.exec(line);
    if (!match) throw new SmtpClientError('protocol', `malformed reply ${JSON.stringify(line.slice(0, 80))}`);
    const code = Number(match[1]);
    if (code < 200 || code > 599) throw new SmtpClientError('protocol', `reply code ${code} out of range`);
    if (this.code !== null && this.code !== code) {
      throw new SmtpClientError('protocol', `multi-line reply changes its code from ${this.code} to ${code}`);
    }
    this.code = code;
    this.lines.push(match[3] ?? '');
    if (match[2] === '-') return null;
    const lines = this.lines;
    this.code = null;
    this.lines = [];
    return toReply(code, lines);
  }
}

function toReply(code: number, raw: string[]): SmtpReply {
  const first = ENHANCED.exec(raw[0] ?? '');
  // RFC 2034 §4: the enhanced code must be of the same class as the reply code.
  const enhanced = first && Number(first[1]) === Math.floor(code / 100) ? `${first[1]}.${first[2]}.${first[3]}` : null;
  const lines = raw.map((line) => (enhanced !== null && line.startsWith(enhanced) ? line.slice(enhanced.length).trimStart() : line));
  return { code, enhanced, lines };
}

function tooLong(): SmtpClientError {
  return new SmtpClientError('protocol', `reply line longer than ${MAX_REPLY_LINE} octets`);
}
