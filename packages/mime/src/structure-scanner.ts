// The MIME structure of a message (RFC 2045 §3, RFC 2046 §5), followed line by line as the bytes arrive,
// only far enough to count nesting, parts and header lines: no part is decoded, no tree is built.
import { parseContentType } from './content-type.js';

/** The limits, under Postfix's names where Postfix has them (Dovecot's defaults for the part count). */
export interface MimeLimits {
  /** Postfix mime_nesting_limit: multiparts and encapsulated messages inside each other. */
  mime_nesting_limit: number;
  /** Dovecot's max_total_mime_parts: entities in the whole message, the message itself included. */
  mime_part_limit: number;
  /** Postfix header_size_limit: bytes of one header field, its folded lines included. */
  header_size_limit: number;
  /** Physical lines of one header section (of the message or of a part), folded lines included (RFC 5322 §2.2.3). */
  header_line_limit: number;
}

/** The first limit a message went past, with the reply an SMTP or LMTP server gives for it (RFC 3463). */
export interface MimeLimitExceeded {
  limit: keyof MimeLimits;
  max: number;
  /** 554 5.6.0 for a structure refused, 552 5.3.4 for a header too big to handle. */
  code: 552 | 554;
  status: '5.3.4' | '5.6.0';
  /** Postfix's wording, naming the limit: "MIME nesting exceeds safety limit (mime_nesting_limit 100)". */
  text: string;
}

/** An open multipart: its delimiter, whether it is a digest, and the depth of its own entity. */
interface Multipart {
  delimiter: string;
  digest: boolean;
  depth: number;
}

/** RFC 5322 §2.1.1: 998 characters is the longest a line may be; a boundary line is far shorter (RFC 2046 §5.1.1: ≤ 70). */
const LINE_KEPT = 1000;
/** Enough of a Content-Type field to find its type and boundary parameter. */
const CONTENT_TYPE_KEPT = 8192;
const LF = 0x0a;
const CR = 0x0d;

const WORDING: Record<keyof MimeLimits, { code: 552 | 554; status: '5.3.4' | '5.6.0'; what: string }> = {
  mime_nesting_limit: { code: 554, status: '5.6.0', what: 'MIME nesting exceeds safety limit' },
  mime_part_limit: { code: 554, status: '5.6.0', what: 'MIME part count exceeds safety limit' },
  header_size_limit: { code: 552, status: '5.3.4', what: 'message header length exceeds safety limit' },
  header_line_limit: { code: 552, status: '5.3.4', what: 'message header line count exceeds safety limit' },
};

/**
 * Feed it the message's bytes in any chunks, then ask `end()` which limit (if
 * any) the message went past. Work is linear in the bytes; memory is one
 * line's first 1,000 bytes, one Content-Type field and the open multiparts
 * (at most mime_nesting_limit of them). Once a limit is passed the rest is
 * skipped. CRLF and bare LF line ends are both understood.
 */
export class MimeStructureScanner {
  private exceededLimit: MimeLimitExceeded | null = null;
  /** The current line's first bytes, and how long it is in all. */
  private line: Buffer[] = [];
  private lineKept = 0;
  private lineLength = 0;

  private inHeader = true;
  private depth = 0;
  private parts = 1;
  private readonly open: Multipart[] = [];
  /** RFC 2046 §5.1.5: in a multipart/digest a part without Content-Type is message/rfc822. */
  private inDigest = false;
  private field: { bytes: number; name: string } | null = null;
  private headerLines = 0;
  private type = '';
  private encoding = '';

  constructor(private readonly limits: MimeLimits) {}

  get exceeded(): MimeLimitExceeded | null {
    return this.exceededLimit;
  }

  write(chunk: Buffer): void {
    let from = 0;
    while (this.exceededLimit === null && from < chunk.length) {
      // Past the last multipart and out of every header, nothing more can nest: the rest is one body.
      if (!this.inHeader && this.open.length === 0) return;
      const lf = chunk.indexOf(LF, from);
      if (lf < 0) {
        this.keep(chunk.subarray(from));
        return;
      }
      if (this.lineLength === 0) {
        this.endLine(chunk.subarray(from, Math.min(lf + 1, from + LINE_KEPT)), lf + 1 - from);
      } else {
        this.keep(chunk.subarray(from, lf + 1));
        this.endKeptLine();
      }
      from = lf + 1;
    }
  }

  /** The first limit passed, or null; a last line without a line break is read as one. */
  end(): MimeLimitExceeded | null {
    if (this.lineLength > 0 && this.exceededLimit === null) this.endKeptLine();
    return this.exceededLimit;
  }

  /** Part of a line that goes on in the next chunk. */
  private keep(piece: Buffer): void {
    this.lineLength += piece.length;
    const room = LINE_KEPT - this.lineKept;
    if (room <= 0) return;
    const kept = Buffer.from(piece.subarray(0, room));
    this.line.push(kept);
    this.lineKept += kept.length;
  }

  private endKeptLine(): void {
    const text = Buffer.concat(this.line, this.lineKept);
    const length = this.lineLength;
    this.line = [];
    this.lineKept = 0;
    this.lineLength = 0;
    this.endLine(text, length);
  }

  /** One line: its first bytes (with its line break when that is among them) and its whole length. */
  private endLine(line: Buffer, length: number): void {
    let end = line.length;
    if (end > 0 && line[end - 1] === LF) end--;
    if (end > 0 && line[end - 1] === CR) end--;
    const text = line.subarray(0, end);
    // A delimiter line ends a part whether its header was finished or not (RFC 2046 §5.1.1).
    if (text.length >= 2 && text[0] === 0x2d && text[1] === 0x2d && this.open.length > 0 && this.delimiter(text.toString('latin1'))) return;
    if (this.inHeader) this.headerLine(text, length);
  }

  /** RFC 2046 §5.1.1: `--boundary` (a new part) or `--boundary--` (the end), transport padding allowed after it. */
  private delimiter(line: string): boolean {
    const bare = line.replace(/[ \t]+$/, '');
    for (let at = this.open.length - 1; at >= 0; at--) {
      const multipart = this.open[at]!;
      if (bare === multipart.delimiter) {
        // A delimiter of an outer multipart closes every multipart inside it.
        this.open.length = at + 1;
        this.startEntity(multipart.depth + 1, multipart.digest);
        return true;
      }
      if (bare === `${multipart.delimiter}--`) {
        this.open.length = at;
        this.inHeader = false;
        this.depth = multipart.depth;
        return true;
      }
    }
    return false;
  }

  private startEntity(depth: number, inDigest: boolean): void {
    this.depth = depth;
    this.inDigest = inDigest;
    this.inHeader = true;
    this.field = null;
    this.headerLines = 0;
    this.type = '';
    this.encoding = '';
    if (++this.parts > this.limits.mime_part_limit) this.exceed('mime_part_limit');
  }

  private headerLine(text: Buffer, length: number): void {
    if (text.length === 0) return this.endHeader();
    const folded = text[0] === 0x20 || text[0] === 0x09;
    if (folded && this.field) {
      this.field.bytes += length;
    } else {
      const line = text.toString('latin1');
      const colon = line.indexOf(':');
      this.field = { bytes: length, name: (colon > 0 ? line.slice(0, colon) : '').trim().toLowerCase() };
    }
    if (++this.headerLines > this.limits.header_line_limit) return this.exceed('header_line_limit');
    if (this.field.bytes > this.limits.header_size_limit) return this.exceed('header_size_limit');
    const value = folded ? text.toString('latin1') : text.toString('latin1').slice(text.indexOf(0x3a) + 1);
    if (this.field.name === 'content-type' && this.type.length < CONTENT_TYPE_KEPT) this.type += value;
    else if (this.field.name === 'content-transfer-encoding' && this.encoding.length < 64) this.encoding += value;
  }

  private endHeader(): void {
    this.inHeader = false;
    const { contentType, boundary } = parseContentType(this.type);
    const media = contentType ?? (this.inDigest ? 'message/rfc822' : 'text/plain');
    const encoding = this.encoding.replace(/\([^()]*\)/g, '').trim().toLowerCase();
    if (media.startsWith('multipart/') && boundary) {
      if (this.depth + 1 > this.limits.mime_nesting_limit) return this.exceed('mime_nesting_limit');
      this.open.push({ delimiter: `--${boundary}`, digest: media === 'multipart/digest', depth: this.depth });
    } else if (media === 'message/rfc822' && (encoding === '' || encoding === '7bit' || encoding === '8bit' || encoding === 'binary')) {
      // RFC 2046 §5.2.1: the body is a message, header first; other encodings are opaque to every reader.
      if (this.depth + 1 > this.limits.mime_nesting_limit) return this.exceed('mime_nesting_limit');
      this.startEntity(this.depth + 1, false);
    }
  }

  private exceed(limit: keyof MimeLimits): void {
    const max = this.limits[limit];
    const { code, status, what } = WORDING[limit];
    this.exceededLimit = { limit, max, code, status, text: `${what} (${limit} ${max})` };
  }
}

/** The scanner over a whole message at once (a stored message, or one read whole). */
export function scanMimeStructure(raw: Buffer, limits: MimeLimits): MimeLimitExceeded | null {
  const scanner = new MimeStructureScanner(limits);
  scanner.write(raw);
  return scanner.end();
}
