// RFC 5228 §8.1 lexical tokens: identifiers, tags, numbers, quoted and multi-line strings, specials; comments and whitespace skipped.
import type { Position } from './ast.js';

export type Token =
  | { type: 'identifier'; text: string; pos: Position }
  | { type: 'tag'; text: string; pos: Position }
  | { type: 'number'; value: number; pos: Position }
  | { type: 'string'; text: string; multiline: boolean; pos: Position }
  | { type: 'special'; text: string; pos: Position }
  | { type: 'end'; pos: Position };

export class SieveSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: Position,
  ) {
    super(message);
  }
}

// RFC 5228 §8.1: QUANTIFIER = "K" / "M" / "G" (2^10, 2^20, 2^30).
const QUANTIFIERS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Splits a script into tokens; throws SieveSyntaxError at the first bad character. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const pos = (at = i): Position => ({ line, column: at - lineStart + 1 });
  const newline = (at: number): void => {
    line++;
    lineStart = at + 1;
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      newline(i);
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      // RFC 5228 §2.3: hash comments run to the end of the line.
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && source[i + 1] === '*') {
      // RFC 5228 §2.3: bracketed comments do not nest.
      const start = pos();
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new SieveSyntaxError('unterminated /* comment', start);
      for (let j = i; j < end; j++) if (source[j] === '\n') newline(j);
      i = end + 2;
    } else if (c === '"') {
      const start = pos();
      let text = '';
      i++;
      for (;;) {
        if (i >= source.length) throw new SieveSyntaxError('unterminated quoted string', start);
        const d = source[i]!;
        if (d === '"') break;
        if (d === '\\') {
          // RFC 5228 §2.4.2: "\\" and "\"" are the escapes; any other escaped character stands for itself.
          i++;
          if (i >= source.length) throw new SieveSyntaxError('unterminated quoted string', start);
        }
        if (source[i] === '\n') newline(i);
        text += source[i];
        i++;
      }
      i++;
      tokens.push({ type: 'string', text, multiline: false, pos: start });
    } else if (/[0-9]/.test(c)) {
      const start = pos();
      let j = i;
      while (j < source.length && /[0-9]/.test(source[j]!)) j++;
      let value = Number(source.slice(i, j));
      const q = source[j]?.toLowerCase();
      if (q !== undefined && q in QUANTIFIERS) {
        value *= QUANTIFIERS[q]!;
        j++;
      }
      if (j < source.length && /[A-Za-z_]/.test(source[j]!)) throw new SieveSyntaxError(`bad number: unexpected "${source[j]}"`, pos(j));
      tokens.push({ type: 'number', value, pos: start });
      i = j;
    } else if (/[A-Za-z_]/.test(c) || (c === ':' && /[A-Za-z_]/.test(source[i + 1] ?? ''))) {
      const start = pos();
      let j = c === ':' ? i + 1 : i;
      while (j < source.length && /[A-Za-z0-9_]/.test(source[j]!)) j++;
      const word = source.slice(i, j);
      if (c === ':') {
        tokens.push({ type: 'tag', text: word.slice(1).toLowerCase(), pos: start });
        i = j;
      } else if (word.toLowerCase() === 'text' && source[j] === ':') {
        i = multiline(j + 1, start);
      } else {
        tokens.push({ type: 'identifier', text: word.toLowerCase(), pos: start });
        i = j;
      }
    } else if ('[](),;{}'.includes(c)) {
      tokens.push({ type: 'special', text: c, pos: pos() });
      i++;
    } else {
      throw new SieveSyntaxError(`unexpected character "${c}"`, pos());
    }
  }
  tokens.push({ type: 'end', pos: pos() });
  return tokens;

  /**
   * RFC 5228 §8.1 multi-line = "text:" *(SP / HTAB) (hash-comment / CRLF) *(multiline-literal / multiline-dotstart) "." CRLF;
   * a line starting with "." has it removed (dot-stuffing, §2.4.2). Returns the index after the closing line.
   */
  function multiline(at: number, start: Position): number {
    let j = at;
    while (source[j] === ' ' || source[j] === '\t') j++;
    if (source[j] === '#') while (j < source.length && source[j] !== '\n') j++;
    else if (source[j] === '\r') j++;
    if (source[j] !== '\n') throw new SieveSyntaxError('text: must be followed by a line break', pos(j));
    newline(j);
    j++;
    const lines: string[] = [];
    for (;;) {
      if (j >= source.length) throw new SieveSyntaxError('unterminated text: string (no closing "." line)', start);
      let end = source.indexOf('\n', j);
      if (end < 0) end = source.length;
      let text = source.slice(j, end);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (end < source.length) newline(end);
      j = end + 1;
      if (text === '.') break;
      lines.push(text.startsWith('.') ? text.slice(1) : text);
    }
    tokens.push({ type: 'string', text: lines.map((l) => `${l}\r\n`).join(''), multiline: true, pos: start });
    return j;
  }
}
