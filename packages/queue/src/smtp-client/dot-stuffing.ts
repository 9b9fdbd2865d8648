const CRLF = Buffer.from('\r\n');
const DOT = Buffer.from('.');
const CHUNK = 64 * 1024;

/**
 * RFC 5321 §4.5.2 transparency: every line of the message that begins with
 * "." is sent with one more. Takes the message in chunks of any size (a line
 * may span two) and gives it back in chunks of about 64 KiB; end() adds a
 * CRLF when the content does not end with one, so that the terminator "."
 * is a line of its own (the caller writes the terminator). The message has
 * CRLF line ends.
 */
export class DotStuffer {
  /** The last octet pushed so far (the start of the message counts as a line start). */
  private last = 0x0a;
  private empty = true;

  *push(chunk: Buffer): Generator<Buffer> {
    if (chunk.length === 0) return;
    const pieces: Buffer[] = [];
    let start = 0;
    let dot = this.last === 0x0a && chunk[0] === 0x2e ? 0 : nextLineDot(chunk, 0);
    while (dot >= 0) {
      pieces.push(chunk.subarray(start, dot), DOT);
      start = dot;
      dot = nextLineDot(chunk, dot + 1);
    }
    // The rest holds no line beginning with ".", so it goes in plain slices.
    for (let offset = start; offset < chunk.length; offset += CHUNK) pieces.push(chunk.subarray(offset, Math.min(offset + CHUNK, chunk.length)));
    this.last = chunk[chunk.length - 1]!;
    this.empty = false;
    yield* gathered(pieces);
  }

  *end(): Generator<Buffer> {
    if (!this.empty && this.last !== 0x0a) yield CRLF;
  }
}

/** The whole message in memory, stuffed (see DotStuffer). */
export function* dotStuffed(message: Buffer): Generator<Buffer> {
  const stuffer = new DotStuffer();
  yield* stuffer.push(message);
  yield* stuffer.end();
}

/** A message read in chunks, stuffed as it is read: only one chunk is held at a time. */
export async function* dotStuffedChunks(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const stuffer = new DotStuffer();
  for await (const chunk of chunks) yield* stuffer.push(chunk);
  yield* stuffer.end();
}

/** Gathers small pieces so the socket is not written a few octets at a time; a piece of CHUNK octets goes as it is. */
function* gathered(pieces: readonly Buffer[]): Generator<Buffer> {
  for (let offset = 0; offset < pieces.length; ) {
    let end = offset;
    let total = 0;
    while (end < pieces.length && (end === offset || total + pieces[end]!.length <= CHUNK)) total += pieces[end++]!.length;
    yield end - offset === 1 ? pieces[offset]! : Buffer.concat(pieces.slice(offset, end), total);
    offset = end;
  }
}

/** The offset of the next "." that begins a line, at or after `from` (the octet after a LF); -1 when none. */
function nextLineDot(message: Buffer, from: number): number {
  const found = message.indexOf('\n.', Math.max(0, from - 1));
  return found < 0 ? -1 : found + 1;
}
