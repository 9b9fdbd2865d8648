import { commentEnd } from './lexical.js';
import { fieldValue, parseHeader } from './header-fields.js';

/**
 * RFC 8601 §5: a border MTA removes every Authentication-Results field that
 * claims its own authserv-id before adding its own, so a sender cannot forge
 * our verdict. Other fields (and other servers' results) stay, byte for byte.
 */
export function removeOwnAuthenticationResults(message: Buffer, hostname: string): Buffer {
  const header = parseHeader(message);
  const ours = comparableId(hostname);
  const kept = header.fields.filter((field) => {
    if (field.name.toLowerCase() !== 'authentication-results') return true;
    const id = authservId(fieldValue(field));
    return id === null || comparableId(id) !== ours;
  });
  if (kept.length === header.fields.length) return message;
  return Buffer.concat([...kept.map((field) => field.raw), message.subarray(header.headerEnd)]);
}

/**
 * The authserv-id an Authentication-Results value starts with (RFC 8601 §2.2:
 * [CFWS] authserv-id, a token or quoted-string), or null when there is none.
 */
export function authservId(value: string): string | null {
  let i = 0;
  for (;;) {
    while (i < value.length && /\s/.test(value[i] as string)) i++;
    if (value[i] !== '(') break;
    i = commentEnd(value, i);
  }
  if (value[i] === '"') {
    let id = '';
    for (i++; i < value.length && value[i] !== '"'; i++) {
      if (value[i] === '\\') i++;
      id += value[i] ?? '';
    }
    return id;
  }
  const token = /^[^\s;()"]+/.exec(value.slice(i));
  return token ? token[0] : null;
}

/** Host names compare without case (RFC 4343) and without a trailing root dot. */
function comparableId(id: string): string {
  return id.trim().toLowerCase().replace(/\.$/, '');
}
