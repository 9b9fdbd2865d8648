// RFC 5322 §2.1.1: lines SHOULD be at most 78 characters; §2.2.3: fold by a CRLF before whitespace.
const WIDTH = 78;

/**
 * Folds a header field (which may already contain CRLF-WSP folds) at spaces
 * so each line stays within 78 characters where a space allows. A line keeps
 * at least its first word (after the field name on the first line). Unfolding
 * the result gives back the input exactly. No trailing CRLF.
 */
export function foldField(field: string): string {
  return field
    .split('\r\n')
    .map((line, index) => foldLine(line, index === 0 ? line.indexOf(':') + 1 : 0))
    .join('\r\n');
}

function foldLine(line: string, textStart: number): string {
  const pieces: string[] = [];
  let rest = line;
  let start = textStart;
  while (rest.length > WIDTH) {
    const earliest = firstWordEnd(rest, start);
    // The last space that fits, else the first one after the limit.
    let at = -1;
    for (let i = Math.min(WIDTH, rest.length - 1); i >= earliest; i--) {
      if (isSpace(rest[i])) {
        at = i;
        break;
      }
    }
    if (at < 0) at = indexOfSpace(rest, Math.max(earliest, WIDTH + 1));
    if (at < 0) break;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at);
    start = 0;
  }
  pieces.push(rest);
  return pieces.join('\r\n');
}

/** Index just past the first word at or after `from` (leading whitespace skipped). */
function firstWordEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text[i])) i++;
  while (i < text.length && !isSpace(text[i])) i++;
  return i;
}

function indexOfSpace(text: string, from: number): number {
  for (let i = from; i < text.length; i++) if (isSpace(text[i])) return i;
  return -1;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}
