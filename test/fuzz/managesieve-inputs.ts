// ManageSieve (RFC 5804) command lines: atoms, quoted strings with escapes, literals whose
// announced size is honest, short, long or absurd, numbers past the grammar's range.
import type { Random } from './random.js';

const COMMANDS = ['AUTHENTICATE', 'STARTTLS', 'CAPABILITY', 'NOOP', 'HAVESPACE', 'PUTSCRIPT', 'CHECKSCRIPT', 'LISTSCRIPTS', 'SETACTIVE', 'GETSCRIPT', 'DELETESCRIPT', 'RENAMESCRIPT', 'UNAUTHENTICATE'];
const SCRIPTS = ['keep;', 'require "fileinto"; fileinto "INBOX";', 'if header :is "Subject" "x" { discard; }', 'require ["vacation"]; vacation "away";', 'if true {', 'redirect "a@b";', ''];

function quoted(random: Random): string {
  const text = random.chance(0.5) ? random.pick(SCRIPTS) : random.word(20);
  return `"${random.chance(0.8) ? text.replace(/[\\"]/g, (c) => `\\${c}`) : text}"`;
}

function literal(random: Random): string {
  const text = random.chance(0.6) ? random.pick(SCRIPTS) : random.word(40);
  const octets = Buffer.byteLength(text, 'latin1');
  const size = random.pick([octets, octets, Math.max(0, octets - 3), octets + 5, 99999999, 4294967296]);
  return `{${size}${random.chance(0.8) ? '+' : ''}}\r\n${text}`;
}

function argument(random: Random): string {
  switch (random.int(0, 4)) {
    case 0:
      return random.number();
    case 1:
      return literal(random);
    case 2:
      return random.word(12);
    default:
      return quoted(random);
  }
}

/** One ManageSieve command line (or a SASL answer). */
export function manageSieveCommand(random: Random): string {
  if (random.chance(0.02)) return 'LOGOUT\r\n';
  if (random.chance(0.05)) return `NOOP "${'x'.repeat(random.int(500, 3000))}"\r\n`;
  if (random.chance(0.05)) return `${random.repeat(random.int(1, 6), () => random.oddByte(), '')}\r\n`;
  const name = random.chance(0.1) ? random.word(6) : random.chance(0.1) ? random.pick(COMMANDS).toLowerCase() : random.pick(COMMANDS);
  const args = random.repeat(random.int(0, 3), () => argument(random), random.chance(0.9) ? ' ' : '');
  return `${name}${args ? ` ${args}` : ''}${random.chance(0.95) ? '\r\n' : random.pick(['\n', '\r\n\r\n', '\0\r\n'])}`;
}
