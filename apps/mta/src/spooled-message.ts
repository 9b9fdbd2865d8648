import { PassThrough, type Readable } from 'node:stream';
import { HEADER_LIMIT } from './received.js';
import type { MessageSpool } from './spool.js';

const CRLF = Buffer.from('\r\n');
const END_OF_HEADER = Buffer.from('\r\n\r\n');

/**
 * The message as the steps after DATA see it: a header in memory (what
 * they add in front, what they remove from it) followed by the rest of the
 * spool, read from there as a stream. Only the queue needs the bytes in one
 * buffer, and takes them once (bytes()).
 */
export class SpooledMessage {
  private constructor(
    /** The header section with its empty line (Postfix's header_size_limit at most: past it, the rest is body). */
    readonly header: Buffer,
    private readonly spool: MessageSpool,
    private readonly tailFrom: number,
  ) {}

  static async of(spool: MessageSpool): Promise<SpooledMessage> {
    if (spool.failure) throw new Error(`message spool ${spool.path}: ${spool.failure.message}`);
    const head = await spool.head(HEADER_LIMIT + END_OF_HEADER.length);
    // RFC 5322 §2.1: the header ends at the first empty line; a message that opens with one has none.
    const end = head.subarray(0, 2).equals(CRLF) ? 0 : head.indexOf(END_OF_HEADER);
    let header: Buffer;
    if (end === 0) header = head.subarray(0, 0);
    else if (end > 0) header = head.subarray(0, end + END_OF_HEADER.length);
    else if (head.length === spool.size) header = head;
    // A header past the limit: whole lines of it; the rest passes as it is.
    else header = head.subarray(0, head.lastIndexOf(0x0a) + 1);
    return new SpooledMessage(header, spool, header.length);
  }

  /** Octets in all. */
  get length(): number {
    return this.header.length + this.spool.size - this.tailFrom;
  }

  /** The same message with header fields (CRLF-terminated lines) in front. */
  prepend(fields: string): SpooledMessage {
    return fields === '' ? this : new SpooledMessage(Buffer.concat([Buffer.from(fields, 'latin1'), this.header]), this.spool, this.tailFrom);
  }

  /** The same body under another header. */
  withHeader(header: Buffer): SpooledMessage {
    return header === this.header ? this : new SpooledMessage(header, this.spool, this.tailFrom);
  }

  /** The whole message as a stream (each call a new one). */
  stream(): Readable {
    const out = new PassThrough();
    out.write(this.header);
    const tail = this.spool.stream(this.tailFrom);
    tail.on('error', (err) => out.destroy(err));
    tail.pipe(out);
    return out;
  }

  /** The whole message in one buffer: a copy of its size in memory. */
  async bytes(): Promise<Buffer> {
    return this.spool.content(this.tailFrom, this.header);
  }
}
