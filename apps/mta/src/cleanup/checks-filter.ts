import { Transform, type TransformCallback } from 'node:stream';
import { HEADER_LIMIT } from '../received.js';
import type { CheckAction } from './check-action.js';
import { checkLine, type ContentChecks } from './content-checks.js';

// Postfix body_checks_size_limit: how much of the body is inspected (the rest passes as it is).
export const BODY_CHECKS_SIZE_LIMIT = 51_200;
// Postfix line_length_limit: a longer body line is inspected by its first this many bytes.
const LINE_LENGTH_LIMIT = 2048;
const CRLF = Buffer.from('\r\n');

/** A line's match that the log must show (Postfix cleanup's "warning:", "reject:", "hold:", … lines). */
export interface CheckEvent {
  action: 'reject' | 'hold' | 'discard' | 'warn' | 'info' | 'strip' | 'replace' | 'prepend';
  part: 'header' | 'body';
  /** The line that matched, shortened for the log. */
  line: string;
  text: string;
  /** file:line of the rule. */
  rule: string;
}

/**
 * header_checks on every logical header field of the message (folded lines
 * as one string with LF, as Postfix matches them; our Received included, so
 * the guides' "/^Received:.*with ESMTPSA/ IGNORE" works) and body_checks on
 * each body line up to body_checks_size_limit: the first matching rule of a
 * table decides for the line. REJECT and DISCARD end the inspection (the
 * rest passes unchanged); their outcome, HOLD's, and the log events are read
 * once the stream has ended. Expects CRLF line ends (after BareNewlineFilter).
 */
export class ContentChecksFilter extends Transform {
  readonly events: CheckEvent[] = [];
  reject: { enhanced: string; text: string } | null = null;
  hold: string | null = null;
  discard: string | null = null;

  private phase: 'header' | 'body' | 'pass' = 'header';
  private header: Buffer[] = [];
  private headerBytes = 0;
  private carry: Buffer = Buffer.alloc(0);
  private bodyInspected = 0;

  constructor(private readonly checks: ContentChecks) {
    super();
  }

  /** True once REJECT or DISCARD stopped the inspection (header_checks(5): "disables further … inspection"). */
  private get stopped(): boolean {
    return this.reject !== null || this.discard !== null;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.phase === 'pass') return callback(null, chunk);
    if (this.phase === 'body') return callback(null, this.body(chunk, false));
    this.header.push(chunk);
    this.headerBytes += chunk.length;
    const buffered = Buffer.concat(this.header, this.headerBytes);
    // RFC 5322 §2.1: the header ends at the first empty line; a message opening with one has none.
    const end = buffered[0] === 0x0d && buffered[1] === 0x0a ? 0 : buffered.indexOf('\r\n\r\n');
    if (end < 0 && this.headerBytes <= HEADER_LIMIT) {
      this.header = [buffered];
      return callback();
    }
    this.header = [];
    // Past header_size_limit the rest is passed on untouched, as HeaderRewriter does.
    if (end < 0) {
      this.phase = 'pass';
      return callback(null, buffered);
    }
    const headerEnd = end === 0 ? 0 : end + 2;
    const out = [this.headerSection(buffered.subarray(0, headerEnd))];
    this.phase = this.checks.body === null ? 'pass' : 'body';
    const rest = buffered.subarray(headerEnd);
    out.push(this.phase === 'pass' ? rest : this.body(rest, false));
    callback(null, Buffer.concat(out));
  }

  override _flush(callback: TransformCallback): void {
    if (this.phase === 'header') {
      const header = Buffer.concat(this.header, this.headerBytes);
      this.header = [];
      return callback(null, this.headerSection(header));
    }
    if (this.phase === 'body') return callback(null, this.body(Buffer.alloc(0), true));
    callback();
  }

  /** Every logical field checked once against header_checks, in order. */
  private headerSection(header: Buffer): Buffer {
    if (this.checks.header === null) return header;
    const out: Buffer[] = [];
    let start = 0;
    while (start < header.length) {
      // RFC 5322 §2.2.3: a line starting with WSP continues the field above it.
      let end = start;
      do {
        const lf = header.indexOf(0x0a, end);
        end = lf < 0 ? header.length : lf + 1;
      } while (end < header.length && (header[end] === 0x20 || header[end] === 0x09));
      const field = header.subarray(start, end);
      start = end;
      if (this.stopped) {
        out.push(field);
        continue;
      }
      const text = field.toString('utf8').replace(/\r?\n$/, '').replace(/\r\n/g, '\n');
      out.push(...this.apply(this.checks.header, text, field, 'header'));
    }
    return Buffer.concat(out);
  }

  /** Body lines while within body_checks_size_limit; `last`: the stream ended, so a line without CRLF is complete. */
  private body(chunk: Buffer, last: boolean): Buffer {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    const out: Buffer[] = [];
    let start = 0;
    while (start < data.length) {
      if (this.stopped || this.bodyInspected >= BODY_CHECKS_SIZE_LIMIT || this.checks.body === null) {
        this.phase = 'pass';
        out.push(data.subarray(start));
        break;
      }
      const lf = data.indexOf(0x0a, start);
      if (lf < 0 && !last && data.length - start <= LINE_LENGTH_LIMIT) {
        this.carry = Buffer.from(data.subarray(start));
        break;
      }
      const end = lf < 0 ? data.length : lf + 1;
      const line = data.subarray(start, end);
      start = end;
      this.bodyInspected += line.length;
      const text = line.subarray(0, LINE_LENGTH_LIMIT).toString('utf8').replace(/\r?\n$/, '');
      out.push(...this.apply(this.checks.body, text, line, 'body'));
    }
    return Buffer.concat(out);
  }

  /** What replaces `original` (a field or a line with its CRLF) once its action is applied. */
  private apply(table: NonNullable<ContentChecks['header']>, text: string, original: Buffer, part: 'header' | 'body'): Buffer[] {
    const match = checkLine(table, text, part === 'header');
    if (match === null) return [original];
    const event = (action: CheckEvent['action'], note: string): void => {
      this.events.push({ action, part, line: text.replace(/\s+/g, ' ').slice(0, 200), text: note, rule: match.rule });
    };
    const action: CheckAction = match.action;
    switch (action.kind) {
      case 'dunno':
        return [original];
      case 'ignore':
        if (action.log !== null) event('strip', action.log);
        return [];
      case 'replace':
        event('replace', action.text);
        return [Buffer.from(action.text), CRLF];
      case 'prepend':
        event('prepend', action.text);
        return [Buffer.from(action.text), CRLF, original];
      case 'warn':
      case 'info':
        event(action.kind, action.text);
        return [original];
      case 'reject':
        this.reject = { enhanced: action.enhanced, text: action.text };
        event('reject', `${action.enhanced} ${action.text}`);
        return [original];
      case 'hold':
        this.hold ??= action.text;
        event('hold', action.text);
        return [original];
      case 'discard':
        this.discard = action.text;
        event('discard', action.text);
        return [original];
    }
  }
}
