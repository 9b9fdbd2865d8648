import { request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';
import { plainClientIp } from '@postern/config';
import type { ScannerAddress } from './address.js';
import { ScanFailure } from './failure.js';
import { headerValue } from './header-value.js';
import type { ScanFacts, ScannerAnswer } from './types.js';

// rspamd's JSON reply lists symbols and messages: generous, but bounded.
const MAX_ANSWER = 4 * 1024 * 1024;

// The actions rspamd takes for mail it calls spam; "greylist", "soft reject" and "no action" are not.
const SPAM_ACTIONS = new Set(['add header', 'rewrite subject', 'reject']);

/** node:http writes header values as latin1: hand it the UTF-8 bytes so they arrive as UTF-8. */
function wire(value: string): string {
  return Buffer.from(headerValue(value), 'utf8').toString('latin1');
}

/** The client address as rspamd parses it: IPv4-mapped IPv6 (a dual-stack listener's view) as plain IPv4. */
function clientIp(ip: string): string | null {
  const plain = plainClientIp(ip);
  return isIP(plain) === 0 ? null : plain;
}

/** The envelope as rspamd's protocol headers (rspamd.com/doc/developers/protocol.html). */
function envelopeHeaders(message: Buffer, facts: ScanFacts): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'Content-Length': message.length,
    Connection: 'close',
    // The null reverse-path as it appears in MAIL FROM (RFC 5321 §4.5.5).
    From: facts.from === '' ? '<>' : wire(facts.from),
    'Queue-Id': wire(facts.queueId),
    Hostname: wire(facts.hostname),
  };
  // rspamd refuses a request whose IP header does not parse; without one it scans as "no IP".
  const ip = clientIp(facts.ip);
  if (ip !== null) headers.IP = ip;
  if (facts.helo !== null) headers.Helo = wire(facts.helo);
  if (facts.user !== null) headers.User = wire(facts.user);
  // One Rcpt header per recipient.
  if (facts.recipients.length > 0) headers.Rcpt = facts.recipients.map(wire);
  return headers;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads rspamd's /checkv2 JSON reply; throws ScanFailure when it is not one. */
export function parseRspamdAnswer(body: string): ScannerAnswer {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new ScanFailure(`malformed answer (not JSON): ${JSON.stringify(body.slice(0, 80))}`);
  }
  if (!isRecord(json)) throw new ScanFailure('malformed answer (not a JSON object)');
  const { action, score, required_score: required, symbols } = json;
  if (typeof action !== 'string' || typeof score !== 'number' || !Number.isFinite(score)) {
    const error = typeof json.error === 'string' ? `: ${json.error}` : '';
    throw new ScanFailure(`answer without action and score${error}`);
  }
  return {
    spam: SPAM_ACTIONS.has(action),
    score,
    threshold: typeof required === 'number' && Number.isFinite(required) ? required : 0,
    tests: isRecord(symbols) ? Object.keys(symbols) : [],
    summary: `action ${JSON.stringify(action)}`,
  };
}

/**
 * POSTs `message` to rspamd's /checkv2 with the envelope in headers.
 * Resolves with its answer; rejects (never hangs) when rspamd is down,
 * refuses, answers garbage or an HTTP error, or takes longer than `timeoutMs`.
 */
export function askRspamd(address: ScannerAddress, message: Buffer, facts: ScanFacts, timeoutMs: number): Promise<ScannerAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: unknown, answer?: ScannerAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (answer) resolve(answer);
      else reject(error);
    };
    const req = request({ host: address.host, port: address.port, method: 'POST', path: '/checkv2', agent: false, headers: envelopeHeaders(message, facts) });
    const timer = setTimeout(() => finish(new ScanFailure(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', finish);
    req.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_ANSWER) finish(new ScanFailure(`answer longer than ${MAX_ANSWER} bytes`));
        else chunks.push(chunk);
      });
      response.on('error', finish);
      response.on('close', () => {
        if (!response.complete) finish(new ScanFailure('connection closed in the middle of the answer'));
      });
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) {
          finish(new ScanFailure(`answered HTTP ${response.statusCode ?? '?'} ${response.statusMessage ?? ''}: ${JSON.stringify(body.slice(0, 120))}`));
          return;
        }
        try {
          finish(null, parseRspamdAnswer(body));
        } catch (err) {
          finish(err);
        }
      });
    });
    req.end(message);
  });
}
