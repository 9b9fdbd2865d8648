// SMTP (RFC 5321) and LMTP (RFC 2033) command lines with odd parameters, bare CR/LF, NUL and 8-bit bytes in every position.
import type { Random } from './random.js';

const ADDRESSES = [
  '<>', '<fuzz@example.com>', '<a@example.org>', '<"quoted local"@example.com>', '<@route.example:a@example.org>', '<a@[127.0.0.1]>', '<a@[IPv6:::1]>',
  '<a@b@c>', '<a>', '<@>', '<', 'a@example.org', '<a@example.org', '<fuzz@example.com> SIZE=1', `<${'x'.repeat(300)}@example.com>`, '<é@example.com>',
  '<a@exa mple.org>', '<postmaster>', '<a@-bad-.example>',
];

const PARAMETERS = [
  'SIZE=0', 'SIZE=-1', 'SIZE=99999999999999999999', 'SIZE=', 'BODY=8BITMIME', 'BODY=BINARYMIME', 'BODY=7BIT', 'BODY=', 'SMTPUTF8', 'RET=HDRS', 'RET=FULL',
  'RET=', 'ENVID=abc+2B', 'ENVID=', 'NOTIFY=NEVER', 'NOTIFY=SUCCESS,FAILURE,DELAY', 'NOTIFY=', 'ORCPT=rfc822;a@example.org', 'ORCPT=', 'ORCPT=rfc822;',
  'AUTH=<>', 'AUTH=a@example.org', 'REQUIRETLS', 'MT-PRIORITY=9', 'X=Y', '=', 'SIZE', 'BODY',
];

const AUTH = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2', 'PLAIN AGZ1enpAZXhhbXBsZS5jb20AZnV6eiBwYXNzd29yZA==', 'PLAIN =', 'PLAIN ====', 'LOGIN Zm9v', 'PLAIN AA==', 'GSSAPI'];

/** Ends a line as a client might: CRLF, or a bare LF or CR (RFC 5321 §2.3.8 forbids them). */
function lineEnd(random: Random): string {
  return random.chance(0.9) ? '\r\n' : random.pick(['\n', '\r', '\r\r\n', '\n\r']);
}

function argument(random: Random): string {
  switch (random.int(0, 5)) {
    case 0:
      return random.pick(ADDRESSES);
    case 1:
    case 2:
      return random.pick(PARAMETERS);
    case 3:
      return random.number();
    default:
      return random.word(16);
  }
}

/** One SMTP or LMTP command (or, after DATA/BDAT, message content). */
export function smtpCommand(random: Random, lmtp: boolean): string {
  const greeting = lmtp ? 'LHLO' : random.pick(['EHLO', 'HELO', 'LHLO']);
  const shapes: (() => string)[] = [
    () => `${greeting} ${random.chance(0.8) ? random.pick(['fuzz.example', '[127.0.0.1]', '[IPv6:::1]', '', 'a b']) : random.word(20)}`,
    () => `MAIL FROM:${random.pick(ADDRESSES)}${random.repeat(random.int(0, 3), () => argument(random), ' ').replace(/^(?=.)/, ' ')}`,
    () => `RCPT TO:${random.pick(ADDRESSES)}${random.repeat(random.int(0, 3), () => argument(random), ' ').replace(/^(?=.)/, ' ')}`,
    () => `MAIL FROM: ${random.word(20)}`,
    () => `RCPT ${random.word(10)}`,
    () => `DATA${random.chance(0.2) ? ` ${random.word(4)}` : ''}${lineEnd(random)}${random.repeat(random.int(0, 4), () => random.pick(['Subject: x', '.', '..', '', 'From: <a@example.org>', random.word(40)]), '\r\n')}${random.chance(0.7) ? '\r\n.' : ''}`,
    () => {
      const size = random.int(0, 30);
      return `BDAT ${random.chance(0.8) ? size : random.number()}${random.chance(0.4) ? ' LAST' : ''}${lineEnd(random)}${random.repeat(Math.max(0, size + random.int(-2, 2)), () => random.oddByte(), '')}`;
    },
    () => `AUTH ${random.pick(AUTH)}`,
    () => random.pick(['RSET', 'NOOP', 'HELP', 'VRFY fuzz@example.com', 'EXPN list', 'VRFY', 'NOOP x', 'RSET x', 'TURN', 'ETRN example.com', 'XCLIENT ADDR=1.2.3.4', 'XFORWARD NAME=x']),
    () => `${random.word(8)} ${random.word(20)}`,
    () => random.repeat(random.int(1, 5), () => random.oddByte(), ''),
    () => `NOOP ${'x'.repeat(random.int(500, 3000))}`,
    () => (random.chance(0.1) ? random.pick(['STARTTLS', 'QUIT']) : 'NOOP'),
  ];
  return random.pick(shapes)() + lineEnd(random);
}
