// header_checks(5) and body_checks actions, as Postfix's cleanup applies them.

/** What a matching header or body line asks for. */
export type CheckAction =
  /** DUNNO, OK: the line stays, inspection goes on. */
  | { kind: 'dunno' }
  /** IGNORE (and STRIP, which also logs): the line is removed. */
  | { kind: 'ignore'; log: string | null }
  | { kind: 'replace'; text: string }
  | { kind: 'prepend'; text: string }
  | { kind: 'warn' | 'info'; text: string }
  /** REJECT: the whole message, with a reply (550 5.7.1 by default); no further inspection. */
  | { kind: 'reject'; enhanced: string; text: string }
  /** HOLD: queued on hold; DISCARD: 250 and dropped, no further inspection. */
  | { kind: 'hold' | 'discard'; text: string };

// Actions that need parts Postern does not have: a content filter transport, BCC and REDIRECT rewrites.
const UNSUPPORTED = new Set(['BCC', 'FILTER', 'REDIRECT', 'PASS']);
const KNOWN = 'DUNNO, OK, IGNORE, STRIP, REPLACE, PREPEND, WARN, INFO, REJECT, HOLD, DISCARD';

/** A header field: a name of printable characters but colon, then a colon (RFC 5322 §2.2). */
export function isHeaderField(text: string): boolean {
  return /^[!-9;-~]+:/.test(text);
}

/**
 * Parses a result (after $n substitution). `header`: REPLACE and PREPEND
 * must then give a whole header field. Throws a one-line reason.
 */
export function parseCheckAction(result: string, header: boolean): CheckAction {
  const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(result.trim());
  const command = (match?.[1] ?? '').toUpperCase();
  const text = (match?.[2] ?? '').trim();
  switch (command) {
    case 'DUNNO':
    case 'OK':
      return { kind: 'dunno' };
    case 'IGNORE':
      return { kind: 'ignore', log: null };
    case 'STRIP':
      return { kind: 'ignore', log: text || 'stripped' };
    case 'REPLACE':
    case 'PREPEND': {
      if (text === '') throw new Error(`${command} needs a text`);
      if (header && !isHeaderField(text)) throw new Error(`${command} "${text}": the text must be a header field, e.g. "${command} X-Spam: yes"`);
      return { kind: command === 'REPLACE' ? 'replace' : 'prepend', text };
    }
    case 'WARN':
    case 'INFO':
      return { kind: command === 'WARN' ? 'warn' : 'info', text };
    case 'REJECT': {
      // Postfix 2.3: the text may start with an RFC 3463 code (default 5.7.1).
      const code = /^([45]\.\d{1,3}\.\d{1,3})(?:\s+([\s\S]*))?$/.exec(text);
      return { kind: 'reject', enhanced: code?.[1] ?? '5.7.1', text: (code ? code[2] : text) || 'Message content rejected' };
    }
    case 'HOLD':
    case 'DISCARD':
      return { kind: command === 'HOLD' ? 'hold' : 'discard', text };
    default:
      if (UNSUPPORTED.has(command)) throw new Error(`action ${command} is not supported by Postern (use ${KNOWN})`);
      throw new Error(`unknown action "${match?.[1] ?? result}" (header_checks(5) actions: ${KNOWN})`);
  }
}
