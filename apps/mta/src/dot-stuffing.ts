import { Transform, type TransformCallback } from 'node:stream';

const DOT = 0x2e;
const LF = 0x0a;
const CR = 0x0d;

/**
 * RFC 5321 §4.5.2 transparency for the message we send on (LMTP, RFC 2033
 * §4.2 uses the same DATA): a line that starts with "." gets one more.
 * The input has CRLF line endings only (see BareNewlineFilter), so "line
 * start" is unambiguous. On flush the content is closed with CRLF if it did
 * not end with one, so that the terminator is always a line of its own.
 */
export class DotStuffer extends Transform {
  private atLineStart = true;
  private lastTwo: Buffer = Buffer.from('\r\n');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) return callback();
    const out: Buffer[] = [];
    let start = 0;
    if (this.atLineStart && chunk[0] === DOT) {
      out.push(Buffer.from('.'));
    }
    let lf = chunk.indexOf(LF);
    while (lf >= 0 && lf + 1 < chunk.length) {
      if (chunk[lf + 1] === DOT) {
        out.push(chunk.subarray(start, lf + 1), Buffer.from('.'));
        start = lf + 1;
      }
      lf = chunk.indexOf(LF, lf + 1);
    }
    out.push(chunk.subarray(start));
    this.atLineStart = chunk[chunk.length - 1] === LF;
    this.lastTwo = chunk.length >= 2 ? chunk.subarray(chunk.length - 2) : Buffer.from([this.lastTwo[1] ?? 0, chunk[0] ?? 0]);
    callback(null, out.length === 1 ? chunk : Buffer.concat(out));
  }

  override _flush(callback: TransformCallback): void {
    const endsWithCrlf = this.lastTwo[0] === CR && this.lastTwo[1] === LF;
    callback(null, endsWithCrlf ? undefined : Buffer.from('\r\n'));
  }
}
