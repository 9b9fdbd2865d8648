import { connect } from 'node:net';
import type { ScannerAddress } from './address.js';
import { ScanFailure } from './failure.js';
import { headerValue } from './header-value.js';
import type { ScannerAnswer } from './types.js';

// spamd's answers are a few hundred bytes; more than this is not spamd.
const MAX_ANSWER = 256 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * The spamc request (SPAMC protocol 1.5, spamd/PROTOCOL): SYMBOLS asks for
 * the verdict line and the list of rules that hit; Content-length is
 * mandatory, User selects the per-user preferences.
 */
function request(message: Buffer, user: string | null): Buffer {
  const lines = ['SYMBOLS SPAMC/1.5', `Content-length: ${message.length}`];
  const name = user === null ? '' : headerValue(user).replace(/\s/g, '');
  if (name) lines.push(`User: ${name}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
}

// "Spam: True ; 15.3 / 5.0" (spamd answers True/False; Yes/No in very old versions).
const SPAM_LINE = /^(true|false|yes|no)\s*;\s*(-?\d+(?:\.\d+)?)\s*\/\s*(-?\d+(?:\.\d+)?)$/i;

/** Parses a complete answer; null while more bytes are needed; throws ScanFailure when it is not spamd's. */
export function parseSpamdAnswer(data: Buffer, ended: boolean): ScannerAnswer | null {
  const end = data.indexOf(HEADER_END);
  if (end < 0) {
    if (ended || data.length > MAX_ANSWER) throw new ScanFailure(`malformed answer: ${preview(data)}`);
    return null;
  }
  const [statusLine = '', ...headerLines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^SPAMD\/\d+\.\d+ (\d+) (.*)$/.exec(statusLine);
  if (!status) throw new ScanFailure(`malformed answer: ${preview(data)}`);
  // Non-zero codes are sysexits (76 EX_PROTOCOL, 75 EX_TEMPFAIL, …): spamd could not scan.
  if (status[1] !== '0') throw new ScanFailure(`answered ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const body = data.subarray(end + HEADER_END.length);
  const length = headers.get('content-length');
  if (length !== undefined) {
    if (!/^\d+$/.test(length)) throw new ScanFailure(`malformed Content-length ${JSON.stringify(length)}`);
    if (body.length < Number(length)) {
      if (ended) throw new ScanFailure(`closed the connection ${Number(length) - body.length} bytes short of the answer`);
      return null;
    }
  } else if (!ended) return null;
  const spam = SPAM_LINE.exec(headers.get('spam') ?? '');
  if (!spam) throw new ScanFailure(`answer without a valid Spam: line: ${preview(data)}`);
  const text = body.subarray(0, length === undefined ? body.length : Number(length)).toString('latin1');
  return {
    spam: /^(true|yes)$/i.test(spam[1] ?? ''),
    score: Number(spam[2]),
    threshold: Number(spam[3]),
    tests: text.split(',').map((name) => name.trim()).filter(Boolean),
    summary: `Spam: ${spam[1]}`,
  };
}

function preview(data: Buffer): string {
  return JSON.stringify(data.subarray(0, 80).toString('latin1'));
}

/**
 * Asks spamd about `message`. Resolves with its answer; rejects (never
 * hangs) when spamd is down, refuses, answers garbage or takes longer than
 * `timeoutMs` in all.
 */
export function askSpamd(address: ScannerAddress, message: Buffer, user: string | null, timeoutMs: number): Promise<ScannerAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port });
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (error: unknown, answer?: ScannerAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (answer) resolve(answer);
      else reject(error);
    };
    const timer = setTimeout(() => finish(new ScanFailure(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const check = (ended: boolean): void => {
      if (ended && received === 0) return finish(new ScanFailure('closed the connection without an answer'));
      try {
        const answer = parseSpamdAnswer(Buffer.concat(chunks, received), ended);
        if (answer) finish(null, answer);
      } catch (err) {
        finish(err);
      }
    };
    socket.on('connect', () => {
      socket.write(request(message, user));
      // spamc half-closes after the message too; spamd reads by Content-length either way.
      socket.end(message);
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received > MAX_ANSWER) finish(new ScanFailure(`answer longer than ${MAX_ANSWER} bytes`));
      else check(false);
    });
    socket.on('end', () => check(true));
    socket.on('error', finish);
    socket.on('close', () => check(true));
  });
}
