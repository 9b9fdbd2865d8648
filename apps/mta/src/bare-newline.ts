import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

export type BareNewlineMode = 'normalize' | 'reject';

/**
 * smtpd_forbid_bare_newline for message content (RFC 5321 §2.3.8: CR and LF
 * only ever travel together as CRLF). smtp-server ends DATA at CRLF.CRLF only,
 * so `\n.\n`, `\r.\n`, `\n.\r\n` cannot end a message here; but the content
 * still holds them, and a later hop (the queue's LMTP/SMTP client, Dovecot,
 * a remote MTA) must never see a line ending other than CRLF, or the same bytes could
 * end the message there (the 2023 SMTP smuggling). So every bare LF and bare
 * CR is either turned into CRLF ("normalize": afterwards every line, including
 * one that starts with a dot, is an ordinary CRLF line that dot-stuffing
 * escapes) or recorded ("reject": the caller refuses the message).
 */
export class BareNewlineFilter extends Transform {
  /** How many bare CR or bare LF characters the content held. */
  bareCount = 0;
  private pendingCr = false;

  constructor(private readonly mode: BareNewlineMode) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.scan(chunk));
  }

  override _flush(callback: TransformCallback): void {
    if (this.pendingCr) {
      this.pendingCr = false;
      this.bareCount++;
      callback(null, this.mode === 'normalize' ? CRLF : Buffer.from([CR]));
      return;
    }
    callback();
  }

  private scan(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let start = 0;
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk[0] === LF) {
        out.push(CRLF);
        start = i = 1;
      } else {
        this.bareCount++;
        out.push(this.mode === 'normalize' ? CRLF : Buffer.from([CR]));
      }
    }
    while (i < chunk.length) {
      const byte = chunk[i];
      if (byte !== CR && byte !== LF) {
        // Jump to the next CR or LF; clean content is copied in one slice.
        const nextCr = chunk.indexOf(CR, i);
        const nextLf = chunk.indexOf(LF, i);
        if (nextCr < 0 && nextLf < 0) break;
        i = nextCr < 0 ? nextLf : nextLf < 0 ? nextCr : Math.min(nextCr, nextLf);
        continue;
      }
      if (byte === CR) {
        if (i + 1 === chunk.length) {
          // The LF may come with the next chunk.
          out.push(chunk.subarray(start, i));
          this.pendingCr = true;
          return Buffer.concat(out);
        }
        if (chunk[i + 1] === LF) {
          i += 2;
          continue;
        }
      }
      // A bare CR, or an LF without its CR.
      this.bareCount++;
      if (this.mode === 'normalize') {
        out.push(chunk.subarray(start, i), CRLF);
        start = i + 1;
      }
      i++;
    }
    if (out.length === 0) return chunk;
    out.push(chunk.subarray(start));
    return Buffer.concat(out);
  }
}
