const CRLF = Buffer.from('\r\n');
const DOT = Buffer.from('.');
const CHUNK = 64 * 1024;

/**
 * RFC 5321 §4.5.2 transparency: every line of the message that begins with
 * "." is sent with one more. Yields the message in chunks of about 64 KiB,
 * ending with CRLF so that the terminator "." is a line of its own; the
 * caller writes the terminator. The message has CRLF line ends.
 */
export function* dotStuffed(message: Buffer): Generator<Buffer> {
  let pieces: Buffer[] = [];
  let size = 0;
  const add = (piece: Buffer) => {
    pieces.push(piece);
    size += piece.length;
  };
  let start = 0;
  let dot = message[0] === 0x2e ? 0 : nextLineDot(message, 0);
  while (dot >= 0) {
    add(message.subarray(start, dot));
    add(DOT);
    start = dot;
    if (size >= CHUNK) {
      yield Buffer.concat(pieces, size);
      pieces = [];
      size = 0;
    }
    dot = nextLineDot(message, dot + 1);
  }
  // The rest holds no line beginning with ".", so it goes in plain slices.
  for (let offset = start; offset < message.length; offset += CHUNK) add(message.subarray(offset, Math.min(offset + CHUNK, message.length)));
  if (message.length > 0 && message[message.length - 1] !== 0x0a) add(CRLF);
  for (let offset = 0; offset < pieces.length; ) {
    // Gathers small pieces so the socket is not written a few octets at a time.
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
