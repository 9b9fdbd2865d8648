/** One command line from the client, or the notice that a line went over the limit (its bytes were dropped). */
export type LineEvent = { kind: 'line'; text: string } | { kind: 'overlong' };

const LF = 0x0a;

/**
 * Splits the client's byte stream into command lines. Never holds more than
 * `maxOctets` of an unfinished line: the rest of an overlong line is dropped
 * as it arrives and reported once, when its line feed comes.
 */
export class LineReader {
  private pending: Buffer[] = [];
  private pendingOctets = 0;
  private discarding = false;

  /** `maxOctets` counts the whole line including its CRLF. */
  constructor(private readonly maxOctets: number) {}

  push(chunk: Buffer): LineEvent[] {
    const events: LineEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      if (lf === -1) {
        this.keep(chunk.subarray(start));
        break;
      }
      const piece = chunk.subarray(start, lf + 1);
      start = lf + 1;
      if (this.discarding || this.pendingOctets + piece.length > this.maxOctets) {
        this.clear();
        events.push({ kind: 'overlong' });
        continue;
      }
      const line = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.clear();
      // Lenient on bare LF from clients; CRLF is what RFC 1939 §3 asks for.
      const end = line.length >= 2 && line[line.length - 2] === 0x0d ? line.length - 2 : line.length - 1;
      events.push({ kind: 'line', text: line.toString('utf8', 0, end) });
    }
    return events;
  }

  /** Forgets any unfinished line (after STLS: pipelined plaintext must not survive the upgrade). */
  clear(): void {
    this.pending = [];
    this.pendingOctets = 0;
    this.discarding = false;
  }

  private keep(rest: Buffer): void {
    if (this.discarding) return;
    if (this.pendingOctets + rest.length > this.maxOctets) {
      this.pending = [];
      this.pendingOctets = 0;
      this.discarding = true;
      return;
    }
    // Copy: the socket may reuse the chunk's memory.
    this.pending.push(Buffer.from(rest));
    this.pendingOctets += rest.length;
  }
}
