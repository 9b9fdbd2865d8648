import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { LISTEN_SERVICES, parseListenAddress, type ListenAddress, type ListenService, type PosternConfig } from '@postern/config';
import { finding, type DoctorFinding } from './finding.js';

const PROBE_MS = 5_000;

interface Probe {
  tls: boolean;
  /** Sent after connecting (HTTP speaks first from the client). */
  request?: (hostname: string) => string;
  /** The first line a working server sends. */
  expect: RegExp;
  greeting: string;
}

const SMTP: Probe = { tls: false, expect: /^220[ -]/, greeting: 'a 220 greeting' }; // RFC 5321 §4.2, RFC 2033 §4.2
const IMAP: Probe = { tls: false, expect: /^\* (OK|PREAUTH)\b/i, greeting: 'an * OK greeting' }; // RFC 9051 §7.1
const POP3: Probe = { tls: false, expect: /^\+OK\b/, greeting: 'a +OK greeting' }; // RFC 1939 §4
// RFC 5804 §1.7: the greeting is the capability list, a quoted name per line, then OK.
const MANAGESIEVE: Probe = { tls: false, expect: /^"[A-Z-]+"/i, greeting: 'a capability line' };
const HTTP: Probe = { tls: false, request: (host) => `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, expect: /^HTTP\/1\.[01] \d{3}/, greeting: 'an HTTP status line' };

const PROBES: Record<ListenService, Probe> = {
  smtp: SMTP,
  submission: SMTP,
  // RFC 8314 §3.3: implicit TLS, then the greeting.
  submissions: { ...SMTP, tls: true },
  lmtp: SMTP,
  imap: IMAP,
  imaps: { ...IMAP, tls: true },
  pop3: POP3,
  pop3s: { ...POP3, tls: true },
  managesieve: MANAGESIEVE,
  http: HTTP,
  https: { ...HTTP, tls: true },
  metrics: HTTP,
  mta_metrics: HTTP,
};

/** The listeners of `postern mta`; the mailstore runs the others (with the HTTP side). */
const MTA_SERVICES = new Set<ListenService>(['smtp', 'submission', 'submissions', 'mta_metrics']);

/** A wildcard listener is reached over loopback. */
function target(address: ListenAddress): { host: string; port: number } | { path: string } {
  if (address.kind === 'unix') return { path: address.path };
  const host = address.host === '0.0.0.0' || address.host === '' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  return { host, port: address.port };
}

/** The first line the server sends (or answers), or why there is none. */
function firstLine(address: ListenAddress, probe: Probe, hostname: string): Promise<{ line: string } | { error: string }> {
  return new Promise((resolve) => {
    const to = target(address);
    // The probe checks that the port answers; the certificate is checked on its own (tls findings).
    const socket: Socket = probe.tls ? tlsConnect({ ...to, rejectUnauthorized: false, servername: 'path' in to ? undefined : hostname }) : netConnect(to);
    let buffer = '';
    const done = (result: { line: string } | { error: string }): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ error: `no answer within ${PROBE_MS / 1000} s` }), PROBE_MS);
    socket.once(probe.tls ? 'secureConnect' : 'connect', () => {
      if (probe.request) socket.write(probe.request(hostname));
    });
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\n');
      if (end >= 0) done({ line: buffer.slice(0, end).replace(/\r$/, '') });
    });
    socket.once('error', (err) => done({ error: err.message }));
    socket.once('end', () => done(buffer === '' ? { error: 'closed without a word' } : { line: buffer }));
  });
}

/**
 * Every configured listener: does it accept a connection and greet as its
 * protocol does? `postern start` serves the MTA's metrics on listen.metrics,
 * so listen.mta_metrics is only probed when the services run split.
 */
export async function checkPorts(config: PosternConfig, options: { singleProcess: boolean }): Promise<DoctorFinding[]> {
  const services = LISTEN_SERVICES.filter((service) => !(options.singleProcess && service === 'mta_metrics'));
  const probes = services.flatMap((service) => config.listen[service].map((text) => ({ service, text })));
  return Promise.all(
    probes.map(async ({ service, text }) => {
      const subject = `${service} ${text}`;
      const address = parseListenAddress(text);
      const probe = PROBES[service];
      const answer = await firstLine(address, probe, config.hostname);
      if ('error' in answer) return finding('port', subject, 'fail', `does not answer: ${answer.error}`, `start the service that listens there (postern start, or systemctl start postern-${MTA_SERVICES.has(service) ? 'mta' : 'mailstore'}) or remove the address from listen.${service}`);
      if (!probe.expect.test(answer.line)) return finding('port', subject, 'fail', `answers ${JSON.stringify(answer.line.slice(0, 80))}, not ${probe.greeting}: another program holds the port`, `stop the other program or move listen.${service}`);
      return finding('port', subject, 'ok', answer.line.slice(0, 80));
    }),
  );
}
