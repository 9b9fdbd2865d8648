const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');
const DOT_PREFIX = Buffer.from('.');
const TERMINATOR = Buffer.from('.\r\n');

/** Calls `visit` with each line of `data` (without its line ending) and the offset just past that ending. */
function eachLine(data: Buffer, visit: (line: Buffer, next: number) => boolean | void): void {
  let start = 0;
  while (start < data.length) {
    const lf = data.indexOf(LF, start);
    const end = lf === -1 ? data.length : lf;
    const next = lf === -1 ? data.length : lf + 1;
    const line = data.subarray(start, end > start && data[end - 1] === CR ? end - 1 : end);
    if (visit(line, next) === false) return;
    start = next;
  }
}

/**
 * RFC 1939 §3: the body of a multi-line response — every line ended by CRLF,
 * a line that starts with "." gets one more "." (byte-stuffing), and the
 * response ends with ".\r\n". Works on bytes so 8-bit mail passes unchanged.
 */
export function encodeMultiline(data: Buffer): Buffer {
  const pieces: Buffer[] = [];
  eachLine(data, (line) => {
    if (line[0] === DOT) pieces.push(DOT_PREFIX);
    pieces.push(line, CRLF);
  });
  pieces.push(TERMINATOR);
  return Buffer.concat(pieces);
}

/** RFC 1939 §7 TOP: the header, the blank line after it, and the first `bodyLines` lines of the body. */
export function topOfMessage(data: Buffer, bodyLines: number): Buffer {
  let inBody = false;
  let remaining = bodyLines;
  let cut = data.length;
  eachLine(data, (line, next) => {
    if (!inBody) {
      if (line.length > 0) return true;
      inBody = true;
    } else {
      remaining -= 1;
    }
    if (remaining === 0) {
      cut = next;
      return false;
    }
    return true;
  });
  return data.subarray(0, cut);
}

