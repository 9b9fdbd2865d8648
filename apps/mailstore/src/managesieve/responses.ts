// What the server sends (RFC 5804 §1.2-§1.3, §4): strings as quoted or literal, and the
// OK / NO / BYE responses with their optional response code and human-readable text.

/** RFC 5804 §1.3 response codes Postern sends. */
export type ResponseCode =
  | 'AUTH-TOO-WEAK'
  | 'ENCRYPT-NEEDED'
  | 'QUOTA/MAXSCRIPTS'
  | 'QUOTA/MAXSIZE'
  | 'NONEXISTENT'
  | 'ACTIVE'
  | 'ALREADYEXISTS'
  | 'TRYLATER'
  | 'WARNINGS';

/**
 * RFC 5804 §4: a quoted string when it can be one (no CR, LF or NUL, at most 1024 octets),
 * else a literal-s2c "{n}" CRLF followed by the octets.
 */
export function sieveString(text: string): string {
  const octets = Buffer.byteLength(text, 'utf8');
  if (octets <= 1024 && !/[\r\n\0]/.test(text)) return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return `{${octets}}\r\n${text}`;
}

/** One response line: `OK|NO|BYE [(CODE)] [text]` CRLF (RFC 5804 §1.2). `tag` is NOOP's (§2.12). */
export function response(kind: 'OK' | 'NO' | 'BYE', text?: string, code?: ResponseCode | { tag: string }): string {
  let line = kind;
  if (code !== undefined) line += typeof code === 'string' ? ` (${code})` : ` (TAG ${sieveString(code.tag)})`;
  if (text !== undefined) line += ` ${sieveString(text)}`;
  return `${line}\r\n`;
}
