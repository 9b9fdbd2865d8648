// IMAP command lines built from RFC 3501 §9's grammar (plus the extensions imap-core offers), with odd values in every position.
import type { Random } from './random.js';

/** Commands before login (RFC 3501 §6.1, §6.2; RFC 2971 ID; RFC 5161 ENABLE). */
export const PRE_AUTH_COMMANDS = ['CAPABILITY', 'NOOP', 'ID', 'LOGIN', 'AUTHENTICATE PLAIN', 'AUTHENTICATE', 'ENABLE', 'STARTTLS', 'LOGOUT', 'SELECT', 'FETCH'];

/** Commands after login and SELECT (RFC 3501 §6.3, §6.4 and the extensions). */
export const POST_AUTH_COMMANDS = [
  'NOOP', 'CAPABILITY', 'ID', 'NAMESPACE', 'LIST', 'XLIST', 'LSUB', 'SUBSCRIBE', 'UNSUBSCRIBE', 'CREATE', 'DELETE', 'RENAME', 'STATUS', 'APPEND',
  'SELECT', 'EXAMINE', 'CHECK', 'STORE', 'UID STORE', 'EXPUNGE', 'UID EXPUNGE', 'COPY', 'UID COPY', 'MOVE', 'UID MOVE', 'FETCH', 'UID FETCH',
  'SEARCH', 'UID SEARCH', 'ENABLE', 'GETQUOTAROOT', 'SETQUOTA', 'GETQUOTA', 'UNSELECT', 'CLOSE', 'IDLE', 'XAPPLEPUSHSERVICE', 'LOGIN', 'AUTHENTICATE PLAIN',
];

/** Atoms the commands give meaning to, so that random lines reach past the first argument check. */
const KEYWORDS = [
  'INBOX', 'inbox', 'Trash', 'NIL', 'nil', 'ALL', 'FAST', 'FULL', 'FLAGS', '+FLAGS', '-FLAGS.SILENT', 'UID', 'BODY', 'BODY[]', 'BODY.PEEK[HEADER]',
  'BODY[HEADER.FIELDS', 'BODY[1.2.MIME]', 'BODY[TEXT]<0.10>', 'BODY[]<4294967295.1>', 'RFC822', 'RFC822.SIZE', 'ENVELOPE', 'BODYSTRUCTURE', 'INTERNALDATE',
  'MODSEQ', 'CHANGEDSINCE', 'VANISHED', '\\Seen', '\\Deleted', '\\*', '$Junk', 'OR', 'NOT', 'SUBJECT', 'FROM', 'HEADER', 'BEFORE', 'SINCE', 'SENTON',
  'LARGER', 'SMALLER', 'KEYWORD', 'CHARSET', 'UTF-8', 'TEXT', 'MESSAGES', 'UIDNEXT', 'UNSEEN', 'RECENT', 'HIGHESTMODSEQ', 'RETURN', 'SPECIAL-USE',
  'CONDSTORE', 'UTF8=ACCEPT', 'QRESYNC', 'DEFLATE', 'STORAGE', 'UTF8', '1-Feb-1994', '31-Dec-9999', '"01-Jan-2000 00:00:00 +0000"', '*', '%', '"*"', '""',
];

const SEQUENCES = ['1', '*', '1:*', '*:1', '1,2,3', '0', '0:0', '4294967295', '4294967296', '1:4294967295', '1:2:3', ',', '1,', '*:*', '2:1', '-1', '1:-1', '99999999999999999999'];

export interface ImapShapeOptions {
  /** Longest literal the generator declares (it may send fewer or more bytes). */
  maxLiteral: number;
}

/** One argument: an atom, NIL, a quoted string, a literal, a list, a sequence set, a number or junk. */
export function imapArgument(random: Random, depth = 0): string {
  switch (random.int(0, 10)) {
    case 0:
      return 'NIL';
    case 1:
    case 2:
      return random.pick(KEYWORDS);
    case 3:
      return random.pick(SEQUENCES);
    case 4: {
      // A quoted string, sometimes with escapes, 8-bit, or never closed.
      const body = random.word(20).replace(/[\r\n]/g, '');
      return random.chance(0.1) ? `"${body}` : `"${body.replace(/(["\\])/g, random.chance(0.7) ? '\\$1' : '$1')}"`;
    }
    case 5: {
      // RFC 3501 §4.3 literal, RFC 7888 non-synchronizing literal; the byte count is sometimes wrong.
      const length = random.int(0, 24);
      const bytes = random.repeat(Math.max(0, length + (random.chance(0.2) ? random.int(-3, 3) : 0)), () => random.oddByte(), '');
      return `{${length}${random.chance(0.3) ? '+' : ''}}\r\n${bytes}`;
    }
    case 6:
    case 7: {
      if (depth > 4) return 'NIL';
      return `(${random.repeat(random.int(0, 4), () => imapArgument(random, depth + 1))})`;
    }
    case 8:
      return random.number();
    case 9:
      return `${random.pick(['BODY', 'BODY.PEEK', 'BINARY'])}[${random.pick(['', 'HEADER', 'TEXT', 'MIME', '1', '1.2', 'NIL', 'HEADER.FIELDS (NIL)', 'HEADER.FIELDS.NOT ("X")', random.word(6)])}]${random.chance(0.3) ? `<${random.number()}.${random.number()}>` : ''}`;
    default:
      return random.word(10).replace(/[\r\n]/g, '');
  }
}

/** One command line (with its literals), tagged `tag`. */
export function imapCommand(random: Random, commands: readonly string[], tag: string): string {
  const name = random.chance(0.05) ? random.word(8) : random.chance(0.1) ? random.pick(commands).toLowerCase() : random.pick(commands);
  const args = random.repeat(random.int(0, 6), () => imapArgument(random));
  const oddTag = random.chance(0.03) ? random.pick(['', '*', '+', 'a"b', 'x'.repeat(300), '\0']) : tag;
  return `${oddTag} ${name}${args ? ` ${args}` : ''}\r\n`;
}

/** Shapes that once blocked the whole process or may do so: each is answered on its own connection, timed. */
export function heavyImapShapes(): { name: string; postAuth: boolean; line: string }[] {
  const many = (count: number, item: string): string => Array(count).fill(item).join(' ');
  return [
    { name: 'NOOP with 130,000 arguments (256 KB)', postAuth: false, line: `H1 NOOP ${many(130_000, 'x')}\r\n` },
    { name: 'NOOP with 520,000 arguments (1 MB)', postAuth: false, line: `H1 NOOP ${many(520_000, 'x')}\r\n` },
    { name: 'a 2 MB line without an end', postAuth: false, line: `H1 NOOP ${'x'.repeat(2 * 1024 * 1024)}` },
    { name: 'parentheses nested 10,000 deep', postAuth: false, line: `H1 NOOP ${'('.repeat(10_000)}${')'.repeat(10_000)}\r\n` },
    { name: 'SEARCH with 100,000 ORs', postAuth: true, line: `H1 SEARCH ${'OR '.repeat(100_000)}${many(100_001, 'ALL')}\r\n` },
    { name: 'SEARCH with 200,000 NOTs', postAuth: true, line: `H1 SEARCH ${'NOT '.repeat(200_000)}ALL\r\n` },
    { name: 'SEARCH with 200,000 keys', postAuth: true, line: `H1 SEARCH ${many(200_000, 'ALL')}\r\n` },
    { name: 'SEARCH with 200,000 subject strings', postAuth: true, line: `H1 SEARCH ${many(100_000, 'SUBJECT "x"')}\r\n` },
    { name: 'FETCH with 100,000 items', postAuth: true, line: `H1 FETCH 1:* (${many(100_000, 'FLAGS')})\r\n` },
    { name: 'STORE of 100,000 flags', postAuth: true, line: `H1 STORE 1 +FLAGS (${many(100_000, '\\Seen')})\r\n` },
    { name: 'FETCH of a sequence set with 100,000 ranges', postAuth: true, line: `H1 FETCH ${Array.from({ length: 100_000 }, (_, i) => `${i + 1}:${i + 2}`).join(',')} FLAGS\r\n` },
    {
      name: 'LIST with 5,000 wildcards',
      postAuth: true,
      line: `H1 LIST "" "${'*%'.repeat(2500)}x"\r\n`,
    },
    { name: '1,000 literals in one command', postAuth: true, line: `H1 SEARCH ${many(1000, 'SUBJECT {1}\r\nx')}\r\n` },
  ];
}
