import { foldField } from './fold.js';

export interface SpfOutcome {
  result: string;
  comment: string | null;
  clientIp: string;
  /** MAIL FROM ('' for the null sender). */
  sender: string;
  helo: string;
  receiver: string;
}

// RFC 5322 §3.2.3 dot-atom: the values that need no quoting.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;

/**
 * The Received-SPF trace field (RFC 7208 §9.1): result, a comment saying why,
 * then key=value pairs; identity says whether MAIL FROM or, for the null
 * sender, HELO was checked (RFC 7208 §2.4). CRLF-terminated.
 */
export function receivedSpfField(spf: SpfOutcome): string {
  const pairs: [string, string][] = [
    ['client-ip', spf.clientIp],
    ['envelope-from', spf.sender],
    ['helo', spf.helo],
    ['receiver', spf.receiver],
    ['identity', spf.sender === '' ? 'helo' : 'mailfrom'],
  ];
  const comment = spf.comment ? ` (${commentText(spf.comment)})` : '';
  const list = pairs.map(([key, value]) => `${key}=${pairValue(value)};`).join(' ');
  return `${foldField(`Received-SPF: ${spf.result}${comment} ${list}`)}\r\n`;
}

/** RFC 7208 §9.1 key-value-pair values are a dot-atom or a quoted-string. */
function pairValue(value: string): string {
  return DOT_ATOM.test(value) ? value : `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ')}"`;
}

/** Text fit for inside a comment: no line breaks, parentheses and backslashes quoted (RFC 5322 §3.2.2). */
function commentText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\()]/g, (c) => `\\${c}`);
}
