// The world the runner tests run in: a real store (SQLite or MongoDB), a local DNS server, a real SMTP
// remote (smtp-server) on 127.0.0.x whose answers depend on the recipient, a config from TOML, a captured log.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseConfigText, type PosternConfig } from '@postern/config';
import { createResolver } from '@postern/dns';
import { createLogger, type Logger } from '@postern/log';
import { openStore, type QueueEntry, type Store } from '@postern/store';
import { databaseUrl, startTestMongo, type TestMongo } from '@postern/store/testing';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { freePort } from '../../../test/support/ports.js';
import { QueueRunner, type QueueRunnerOptions } from '../src/index.js';

export type Backend = 'sqlite' | 'mongodb';
export const BACKENDS: readonly Backend[] = ['sqlite', 'mongodb'];

export const HOSTNAME = 'mail.postern.test';
export const SENDER = 'alice@sender.test';

/** Where a test's stores live: a temp dir (SQLite) or one MongoDB-wire server per test file. */
export class StoreHost {
  private mongo: TestMongo | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'postern-runner-'));
  private readonly run = randomBytes(4).toString('hex');
  private count = 0;

  constructor(readonly backend: Backend) {}

  /** Which server the MongoDB stores run on (the suite names it, never passing a backend it skipped). */
  async describe(): Promise<string> {
    if (this.backend === 'sqlite') return `sqlite in ${this.dir}`;
    return (await this.mongoServer()).server;
  }

  /** A fresh, empty store; `location` reopens the same one (from another process too). */
  async open(): Promise<{ store: Store; location: StoreLocation }> {
    const name = `runner_${this.run}_${++this.count}`;
    const location: StoreLocation =
      this.backend === 'sqlite' ? { backend: 'sqlite', path: join(this.dir, `${name}.sqlite`) } : { backend: 'mongodb', url: databaseUrl((await this.mongoServer()).url, name) };
    return { store: await openStore(location), location };
  }

  async close(): Promise<void> {
    await this.mongo?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async mongoServer(): Promise<TestMongo> {
    this.mongo ??= await startTestMongo();
    return this.mongo;
  }
}

export type StoreLocation = { backend: 'sqlite'; path: string } | { backend: 'mongodb'; url: string };

/* ---- the remote SMTP server ------------------------------------------------ */

export interface RemoteMessage {
  from: string;
  to: string[];
  message: Buffer;
  /** Per recipient, in `to` order: the RFC 3461 NOTIFY and ORCPT it came with (only when the remote advertises DSN). */
  rcptDsn: { notify: string[] | null; orcpt: string | null }[];
}

export interface RemoteOptions {
  /** How many times `later…@` recipients get 451 before they are accepted (default 1). */
  laterFailures?: number;
  /** `slow…@` messages wait this long before the 250 (default 200 ms). */
  slowMs?: number;
  /** `stall…@` messages: the 250 after DATA waits for releaseStalls(), every time or only the first (default 'always'). */
  stall?: 'always' | 'once';
  /** Speak LMTP (RFC 2033) instead of SMTP: the mailstore's part. */
  lmtp?: boolean;
  /** Advertise DSN (RFC 3461), so NOTIFY/ORCPT come with the RCPTs (default: not advertised). */
  dsn?: boolean;
}

/**
 * A remote MTA (smtp-server) on 127.0.0.x. What it answers depends on the recipient's local part:
 * `fail…` 550 at RCPT, `never…` 451 at RCPT every time, `later…` 451 the first laterFailures times,
 * `slow…` a slow 250 after DATA, `stall…` no answer after DATA until released; anything else 250.
 * Only transactions that got their 250 after DATA count as received.
 */
export interface Remote {
  host: string;
  port: number;
  readonly received: RemoteMessage[];
  /** Highest number of sessions open at once. */
  readonly maxSessions: number;
  /** Sessions opened in all. */
  readonly sessionsOpened: number;
  /** RSET commands received in all (RFC 5321 §4.1.1.5). */
  readonly rsets: number;
  /** Resolves when the next message's data has arrived (before the remote answers it). */
  nextData(): Promise<void>;
  releaseStalls(): void;
  stop(): Promise<void>;
}

export async function startRemote(host: string, options: RemoteOptions = {}): Promise<Remote> {
  const received: RemoteMessage[] = [];
  const rcptAttempts = new Map<string, number>();
  const stalled = new Set<string>();
  const waiting: (() => void)[] = [];
  const stalls: (() => void)[] = [];
  const closed = new WeakSet<SMTPServerSession>();
  let sessions = 0;
  let maxSessions = 0;
  let sessionsOpened = 0;
  let rsets = 0;
  const smtpError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

  const server = new SMTPServer({
    lmtp: options.lmtp ?? false,
    hideDSN: options.dsn !== true,
    banner: 'remote.test ESMTP',
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    hideENHANCEDSTATUSCODES: false,
    // No reverse lookup of the client through the system resolver: tests stay on loopback.
    disableReverseLookup: true,
    logger: false,
    // Connections still open at stop() are cut after this, not after the default 30 s.
    closeTimeout: 500,
    onConnect(_session, callback) {
      sessions++;
      sessionsOpened++;
      maxSessions = Math.max(maxSessions, sessions);
      callback();
    },
    onClose(session) {
      closed.add(session);
      sessions--;
    },
    onRcptTo(address, _session, callback) {
      const rcpt = address.address.toLowerCase();
      const local = rcpt.split('@')[0] ?? '';
      const tries = (rcptAttempts.get(rcpt) ?? 0) + 1;
      rcptAttempts.set(rcpt, tries);
      if (local.startsWith('fail')) return callback(smtpError(550, `<${rcpt}>: Recipient address rejected: User unknown`));
      if (local.startsWith('never')) return callback(smtpError(451, `<${rcpt}>: mailbox busy, try again later`));
      if (local.startsWith('later') && tries <= (options.laterFailures ?? 1)) return callback(smtpError(451, `<${rcpt}>: greylisted, try again later`));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase());
        const rcptDsn = session.envelope.rcptTo.map((rcpt) => ({ notify: rcpt.dsn?.notify ?? null, orcpt: rcpt.dsn?.orcpt ?? null }));
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        const accept = () => {
          if (closed.has(session)) return;
          received.push({ from, to, message: Buffer.concat(chunks), rcptDsn });
          callback(null, 'Ok: queued');
        };
        for (const wake of waiting.splice(0)) wake();
        const stall = to.find((rcpt) => rcpt.startsWith('stall'));
        if (stall !== undefined && (options.stall !== 'once' || !stalled.has(stall))) {
          stalled.add(stall);
          stalls.push(accept);
          return;
        }
        if (to.some((rcpt) => rcpt.startsWith('slow'))) setTimeout(accept, options.slowMs ?? 200);
        else accept();
      });
    },
  });
  server.on('error', () => {});
  // smtp-server answers RSET itself: count the command lines on the (plaintext) wire.
  server.server.on('connection', (socket: Socket) => socket.on('data', (chunk: Buffer) => (rsets += chunk.toString('latin1').match(/^RSET\r\n/gim)?.length ?? 0)));

  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(port, host, () => {
          server.server.off('error', reject);
          resolve();
        });
      });
      break;
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }

  return {
    host,
    port,
    received,
    get maxSessions() {
      return maxSessions;
    },
    get sessionsOpened() {
      return sessionsOpened;
    },
    get rsets() {
      return rsets;
    },
    nextData: () => new Promise((resolve) => waiting.push(resolve)),
    releaseStalls() {
      for (const release of stalls.splice(0)) release();
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/* ---- config, log, world ---------------------------------------------------- */

/** A config as `postern` would load it from TOML; `queue`/`smtp` values are TOML literals ("1s", 2). */
export function testConfig(dns: string, smtpPort: number, queue: Record<string, string | number> = {}, smtp: Record<string, string | number | boolean> = {}): PosternConfig {
  const table = (values: Record<string, string | number | boolean>) =>
    Object.entries(values)
      .map(([key, value]) => `${key} = ${JSON.stringify(value)}`)
      .join('\n');
  const text = [
    `hostname = "${HOSTNAME}"`,
    `data_dir = "${tmpdir()}"`,
    '[dns]',
    `servers = ["${dns}"]`,
    'timeout_ms = 2000',
    '[smtp]',
    table({ port: smtpPort, tls_security_level: 'none', connect_timeout: '5s', timeout: '10s', ...smtp }),
    '[queue]',
    table({ minimal_backoff_time: '1s', maximal_backoff_time: '1s', queue_run_delay: '1s', lease_time: '60s', ...queue }),
  ].join('\n');
  return parseConfigText(text, join(tmpdir(), 'postern-runner-test.toml'));
}

export type LogLine = Record<string, unknown> & { event?: string; queue_id?: string };

/** A real pino logger whose JSON lines are kept for assertions. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  return { logger: createLogger({ name: 'queue-test', level: 'debug', destination }), lines };
}

let nextHost = 20 + Math.floor(Math.random() * 200);

/** A distinct loopback address per remote, so that remotes of parallel test files never meet. */
export function loopbackHost(): string {
  nextHost = nextHost >= 250 ? 20 : nextHost + 1;
  return `127.0.0.${nextHost}`;
}

export interface World {
  store: Store;
  location: StoreLocation;
  dns: DnsTestServer;
  remote: Remote;
  config: PosternConfig;
  logs: LogLine[];
  logger: Logger;
  /** A runner on this world's store (stopped by close()). */
  runner(options?: Partial<QueueRunnerOptions>): QueueRunner;
  close(): Promise<void>;
}

export interface WorldOptions {
  queue?: Record<string, string | number>;
  smtp?: Record<string, string | number | boolean>;
  remote?: RemoteOptions;
}

/** dest.test and sender.test both have their MX on the remote: deliveries and bounces end up there. */
export async function openWorld(host: StoreHost, options: WorldOptions = {}): Promise<World> {
  const { store, location } = await host.open();
  const remote = await startRemote(loopbackHost(), options.remote);
  const dns = await startDnsServer({
    'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
    'mx.dest.test': { A: [remote.host] },
    'sender.test': { MX: [{ exchange: 'mx.sender.test', priority: 10 }] },
    'mx.sender.test': { A: [remote.host] },
  });
  const config = testConfig(dns.address, remote.port, options.queue, options.smtp);
  const resolver = createResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, dnssecTrusted: config.dns.dnssec_trusted });
  const { logger, lines } = captureLogger();
  const runners: QueueRunner[] = [];
  return {
    store,
    location,
    dns,
    remote,
    config,
    logs: lines,
    logger,
    runner(overrides = {}) {
      // LMTP is never used here: no domain is local.
      const runner = new QueueRunner({ config, store, resolver, logger, lmtp: { kind: 'tcp', host: '127.0.0.1', port: 9 }, ...overrides });
      runners.push(runner);
      return runner;
    },
    async close() {
      await Promise.all(runners.map((runner) => runner.stop()));
      remote.releaseStalls();
      await remote.stop();
      await dns.stop();
      await store.close();
    },
  };
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A small message with a Message-ID to find it by. */
export function testMessage(id: string, subject = `test ${id}`): Buffer {
  return Buffer.from(
    [`From: Alice <${SENDER}>`, 'To: someone@dest.test', `Subject: ${subject}`, `Message-ID: <${id}@sender.test>`, '', `Body of ${id}.`, ''].join('\r\n'),
  );
}

/** The queue is empty (everything delivered, bounced and removed). */
export async function queueEmpty(store: Store): Promise<true | false> {
  const entries: QueueEntry[] = await store.listQueue();
  return entries.length === 0;
}

/** Messages the remote received for an address. */
export function receivedBy(remote: Remote, address: string): RemoteMessage[] {
  return remote.received.filter((message) => message.to.includes(address.toLowerCase()));
}
