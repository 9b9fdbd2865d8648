// The client side of the ManageSieve grammar (RFC 5804 §4): a line of atoms, numbers, quoted
// strings and literals, ended by CRLF. Bounded: a line's own octets and each literal's size.

/** One argument of a command line. */
export type SieveArg =
  | { kind: 'atom'; value: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number };

/** A complete line, or why a line was refused (its bytes were dropped up to its end). */
export type LineEvent =
  | { kind: 'line'; args: SieveArg[] }
  | { kind: 'bad'; reason: 'overlong' | 'literal-too-large' | 'syntax'; text: string; /** The command's name when it could be read. */ command: string | null };

export interface ReaderLimits {
  /** Octets of a line outside its literals, CRLF included. */
  maxLineOctets: number;
  /** Octets of one literal. */
  maxLiteralOctets: number;
  /** Arguments of one line. */
  maxArgs: number;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
// RFC 5804 §4: quoted strings are limited to 1024 octets; numbers to 0..4294967295.
const MAX_QUOTED = 1024;
const MAX_NUMBER = 4294967295;

type Step =
  | { done: true; next: number; event: LineEvent }
  | { done: false; /** octets outside literals so far */ lineOctets: number }
  | { done: 'discard'; literal: number; event: LineEvent };

class Bad {
  constructor(
    readonly reason: 'overlong' | 'literal-too-large' | 'syntax',
    readonly text: string,
  ) {}
}

/**
 * Splits the client's byte stream into command lines. Holds at most one line
 * (its literals included) in memory; an oversized literal is counted down and
 * dropped as it arrives, the rest of a bad line is dropped up to its line feed.
 */
export class CommandReader {
  private buffer: Buffer = Buffer.alloc(0);
  /** Octets of an oversized literal still to drop before its line's end is dropped too. */
  private literalToDrop = 0;
  private droppingLine = false;

  constructor(private readonly limits: ReaderLimits) {}

  push(chunk: Buffer): LineEvent[] {
    const events: LineEvent[] = [];
    let data = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.buffer = Buffer.alloc(0);
    for (;;) {
      if (this.literalToDrop > 0) {
        const dropped = Math.min(this.literalToDrop, data.length);
        this.literalToDrop -= dropped;
        data = data.subarray(dropped);
        if (this.literalToDrop > 0) return events;
        this.droppingLine = true;
      }
      if (this.droppingLine) {
        const lf = data.indexOf(LF);
        if (lf === -1) return events;
        data = data.subarray(lf + 1);
        this.droppingLine = false;
      }
      if (data.length === 0) return events;
      const step = this.parse(data);
      if (step.done === true) {
        events.push(step.event);
        data = data.subarray(step.next);
        continue;
      }
      if (step.done === 'discard') {
        events.push(step.event);
        this.literalToDrop = step.literal;
        data = data.subarray(data.length);
        continue;
      }
      if (step.lineOctets > this.limits.maxLineOctets) {
        events.push({ kind: 'bad', reason: 'overlong', text: 'Line too long', command: commandName(data) });
        this.droppingLine = true;
        continue;
      }
      // Copy: the socket may reuse the chunk's memory.
      this.buffer = Buffer.from(data);
      return events;
    }
  }

  /** Forgets everything buffered (after STARTTLS: pipelined plaintext must not survive). */
  clear(): void {
    this.buffer = Buffer.alloc(0);
    this.literalToDrop = 0;
    this.droppingLine = false;
  }

  /** Reads one line from the start of `data`: complete, incomplete, or refused. */
  private parse(data: Buffer): Step {
    const args: SieveArg[] = [];
    let pos = 0;
    let lineOctets = 0;
    try {
      for (;;) {
        const start = pos;
        while (pos < data.length && data[pos] === SP) pos++;
        if (pos >= data.length) return { done: false, lineOctets: lineOctets + pos - start };
        const c = data[pos] as number;
        if (c === CR || c === LF) {
          if (c === CR) {
            if (pos + 1 >= data.length) return { done: false, lineOctets: lineOctets + pos - start + 1 };
            // Lenient on a bare LF; a CR alone is not a line end.
            if (data[pos + 1] !== LF) throw new Bad('syntax', 'Bare CR in a command');
            pos++;
          }
          if (args.length === 0) throw new Bad('syntax', 'Empty command');
          return { done: true, next: pos + 1, event: { kind: 'line', args } };
        }
        if (args.length > 0 && pos === start) throw new Bad('syntax', 'Arguments must be separated by spaces');
        if (args.length >= this.limits.maxArgs) throw new Bad('syntax', 'Too many arguments');
        let token: { arg: SieveArg; end: number } | null;
        if (c === DQUOTE) token = quoted(data, pos);
        else if (c === 0x7b /* { */) {
          const literal = this.literal(data, pos, args);
          if ('discard' in literal) return literal.discard;
          if ('pending' in literal) return { done: false, lineOctets: lineOctets + literal.pending - start };
          lineOctets += literal.headerEnd - start;
          args.push(literal.arg);
          pos = literal.end;
          continue;
        } else token = atomOrNumber(data, pos);
        if (token === null) return { done: false, lineOctets: lineOctets + data.length - start };
        lineOctets += token.end - start;
        args.push(token.arg);
        pos = token.end;
      }
    } catch (error) {
      if (!(error instanceof Bad)) throw error;
      // Drop what remains of the line (a literal inside it is read as line bytes: resync at the next LF).
      const lf = data.indexOf(LF, pos);
      const event: LineEvent = { kind: 'bad', reason: error.reason, text: error.text, command: args[0]?.kind === 'atom' ? args[0].value.toUpperCase() : null };
      if (lf === -1) {
        this.droppingLine = true;
        return { done: true, next: data.length, event };
      }
      return { done: true, next: lf + 1, event };
    }
  }

  /**
   * RFC 5804 §4: literal-c2s = "{" number "+}" CRLF *OCTET. The synchronizing form "{n}" is
   * taken the same way (ManageSieve defines no continuation for it), so no client waits on us.
   */
  private literal(
    data: Buffer,
    pos: number,
    args: SieveArg[],
  ): { arg: SieveArg; end: number; headerEnd: number } | { discard: Step } | { /** where the line's own octets end so far */ pending: number } {
    const close = data.indexOf(0x7d /* } */, pos);
    if (close === -1) {
      if (data.length - pos > 16) throw new Bad('syntax', 'Malformed literal');
      return { pending: data.length };
    }
    const inner = data.toString('latin1', pos + 1, close);
    const match = /^(\d{1,10})\+?$/.exec(inner);
    if (!match) throw new Bad('syntax', 'Malformed literal');
    const size = Number(match[1]);
    if (size > MAX_NUMBER) throw new Bad('syntax', 'Literal size out of range');
    if (close + 1 >= data.length || (data[close + 1] === CR && close + 2 >= data.length)) return { pending: data.length };
    let headerEnd: number;
    if (data[close + 1] === CR && data[close + 2] === LF) headerEnd = close + 3;
    else if (data[close + 1] === LF) headerEnd = close + 2;
    else throw new Bad('syntax', 'A literal\'s size must end its line');
    if (size > this.limits.maxLiteralOctets) {
      const present = data.length - headerEnd;
      const command = args[0]?.kind === 'atom' ? args[0].value.toUpperCase() : null;
      const event: LineEvent = { kind: 'bad', reason: 'literal-too-large', text: `Literal too large (at most ${this.limits.maxLiteralOctets} octets)`, command };
      return { discard: { done: 'discard', literal: Math.max(0, size - present), event } };
    }
    if (data.length < headerEnd + size) return { pending: headerEnd };
    return { arg: { kind: 'string', value: data.toString('utf8', headerEnd, headerEnd + size) }, end: headerEnd + size, headerEnd };
  }
}

/** RFC 5804 §4: quoted = DQUOTE *1024QUOTED-CHAR DQUOTE, with only \" and \\ escaped. */
function quoted(data: Buffer, pos: number): { arg: SieveArg; end: number } | null {
  const bytes: number[] = [];
  for (let i = pos + 1; i < data.length; i++) {
    const c = data[i] as number;
    if (c === DQUOTE) return { arg: { kind: 'string', value: Buffer.from(bytes).toString('utf8') }, end: i + 1 };
    if (c === CR || c === LF || c === 0) throw new Bad('syntax', 'Quoted strings cannot hold CR, LF or NUL');
    if (c === BACKSLASH) {
      if (i + 1 >= data.length) return null;
      const next = data[i + 1] as number;
      if (next !== DQUOTE && next !== BACKSLASH) throw new Bad('syntax', 'Only \\" and \\\\ may be escaped in a quoted string');
      bytes.push(next);
      i++;
    } else bytes.push(c);
    if (bytes.length > MAX_QUOTED) throw new Bad('syntax', `Quoted string longer than ${MAX_QUOTED} octets; send a literal`);
  }
  return null;
}

function atomOrNumber(data: Buffer, pos: number): { arg: SieveArg; end: number } | null {
  let end = pos;
  while (end < data.length && data[end] !== SP && data[end] !== CR && data[end] !== LF) end++;
  if (end >= data.length) return null;
  const text = data.toString('latin1', pos, end);
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (text.length > 10 || value > MAX_NUMBER) throw new Bad('syntax', 'Number out of range');
    return { arg: { kind: 'number', value }, end };
  }
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(text)) throw new Bad('syntax', 'Malformed command or argument');
  return { arg: { kind: 'atom', value: text }, end };
}

/** The first word of a refused line, when it is a plain command name. */
function commandName(data: Buffer): string | null {
  const match = /^([A-Za-z]{1,16})(?: |\r|\n|$)/.exec(data.toString('latin1', 0, 20));
  return match ? (match[1] as string).toUpperCase() : null;
}
