// POP3 (RFC 1939, RFC 2449 CAPA, RFC 5034 AUTH, RFC 2595 STLS) command lines with odd arguments.
import type { Random } from './random.js';

const COMMANDS = ['USER', 'PASS', 'APOP', 'AUTH', 'STAT', 'LIST', 'RETR', 'DELE', 'NOOP', 'RSET', 'TOP', 'UIDL', 'CAPA', 'LAST', 'XTND', 'UTF8', 'LANG'];

function argument(random: Random): string {
  switch (random.int(0, 4)) {
    case 0:
      return random.number();
    case 1:
      return String(random.int(0, 7));
    case 2:
      return random.pick(['fuzz@example.com', 'PLAIN', 'LOGIN', 'AGZ1enpAZXhhbXBsZS5jb20AZnV6eiBwYXNzd29yZA==', '=', '*', '']);
    default:
      return random.word(16);
  }
}

/** One POP3 command line (or an AUTH continuation). */
export function pop3Command(random: Random): string {
  if (random.chance(0.03)) return `${random.pick(['QUIT', 'STLS'])}\r\n`;
  if (random.chance(0.05)) return `${'A'.repeat(random.int(200, 5000))}\r\n`;
  if (random.chance(0.05)) return `${random.repeat(random.int(1, 6), () => random.oddByte(), '')}\r\n`;
  const name = random.chance(0.1) ? random.word(6) : random.chance(0.1) ? random.pick(COMMANDS).toLowerCase() : random.pick(COMMANDS);
  const args = random.repeat(random.int(0, 3), () => argument(random), random.chance(0.9) ? ' ' : '  ');
  return `${name}${args ? ` ${args}` : ''}${random.chance(0.95) ? '\r\n' : random.pick(['\n', '\r\n\r\n', '\0\r\n'])}`;
}
