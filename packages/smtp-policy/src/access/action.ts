import type { CompiledList } from '../restriction-list.js';

/** What an access-table value says to do (access(5) "ACCEPT/REJECT ACTIONS"). */
export type AccessAction =
  | { kind: 'permit' }
  | { kind: 'dunno' }
  /** code null: $access_map_reject_code. */
  | { kind: 'reject'; code: number | null; enhanced: string; text: string }
  | { kind: 'warn'; text: string }
  | { kind: 'info'; text: string }
  /** A 450 if the rest of the command's checks accept (or, DEFER_IF_REJECT, instead of their 5xx). */
  | { kind: 'defer_if_permit' | 'defer_if_reject'; enhanced: string; text: string }
  /** A header field put in front of the message, e.g. "X-Greylist: delayed 60 seconds". */
  | { kind: 'prepend'; field: string }
  /** A right-hand side made of restrictions, e.g. "reject_unknown_sender_domain, permit". */
  | { kind: 'restrictions'; list: CompiledList };

// Postfix actions that need a queue or content filter Postern does not have (yet).
const UNSUPPORTED = ['DISCARD', 'HOLD', 'FILTER', 'REDIRECT', 'BCC', 'HANGUP', 'DELAY'];

/** An optional RFC 3463 code at the start of the text: "5.7.1 go away". */
function splitEnhanced(text: string, fallback: string): { enhanced: string; text: string } {
  const match = /^([245]\.\d{1,3}\.\d{1,3})(?:\s+(.*))?$/s.exec(text);
  return match ? { enhanced: match[1] ?? fallback, text: match[2] ?? '' } : { enhanced: fallback, text };
}

/**
 * Parses one value. Anything that is not an action is read as a list of
 * restrictions by `compileRestrictions` (which throws on a bad one). Throws
 * an Error with a one-line reason.
 */
export function parseAccessAction(value: string, compileRestrictions: (items: string[]) => CompiledList): AccessAction {
  const [word = '', ...rest] = value.split(/\s+/);
  const text = rest.join(' ');
  const command = word.toUpperCase();

  if (command === 'OK' || command === 'RELAY') return { kind: 'permit' };
  if (command === 'DUNNO') return { kind: 'dunno' };
  if (command === 'REJECT') return { kind: 'reject', code: null, ...splitEnhanced(text, '5.7.1') };
  if (command === 'DEFER') return { kind: 'reject', code: 450, ...splitEnhanced(text, '4.7.1') };
  if (command === 'WARN') return { kind: 'warn', text };
  if (command === 'INFO') return { kind: 'info', text };
  if (command === 'DEFER_IF_PERMIT' || command === 'DEFER_IF_REJECT') return { kind: command === 'DEFER_IF_PERMIT' ? 'defer_if_permit' : 'defer_if_reject', ...splitEnhanced(text, '4.7.1') };
  if (command === 'PREPEND') {
    // access(5): "PREPEND headername: headervalue".
    if (!/^[!-9;-~]+:/.test(text)) throw new Error(`"${value}": PREPEND needs a header field, e.g. "PREPEND X-Checked: yes"`);
    return { kind: 'prepend', field: text };
  }
  if (/^[45]\d\d$/.test(word)) {
    if (text === '') throw new Error(`"${value}" needs a text after the code (e.g. "${word} Access denied")`);
    return { kind: 'reject', code: Number(word), ...splitEnhanced(text, `${word.charAt(0)}.7.1`) };
  }
  // Postfix: an all-numeric value means OK (some out-of-band authentication writes time stamps).
  if (/^\d+$/.test(value)) return { kind: 'permit' };
  if (UNSUPPORTED.includes(command)) throw new Error(`action ${command} is not supported by Postern (use OK, DUNNO, REJECT, DEFER, DEFER_IF_PERMIT, DEFER_IF_REJECT, 4NN/5NN text, WARN, INFO, PREPEND or restriction names)`);
  if (value.includes(':')) throw new Error(`"${value}": lookup tables are not allowed inside an access table (list restriction names instead)`);
  return { kind: 'restrictions', list: compileRestrictions(value.split(/[\s,]+/).filter((item) => item !== '')) };
}
