// Shared by the POP3 unit tests: a real store (sqlite file or MongoDB-wire
// server), a real listener on loopback, and a raw line client over node:net/tls.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { hashPassword } from '@postern/auth';
import type { Store, User } from '@postern/store';
import type { MailstoreContext } from '../src/context.js';
import { prepareMessage } from '../src/message/index.js';
import { listenPop3, type Pop3ServerOptions } from '../src/pop3/index.js';
import type { ProtocolService } from '../src/service.js';
import { LineClient } from '../../../test/support/line-client.js';
import { PASSWORD, runService, selfSignedCert, startBackend, testConfig, type Backend, type BackendName } from './fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'postern-pop3-'));
process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));

let certificate: { cert: string; key: string } | undefined;
/** The test certificate, made once per test process. */
function testCertificate(): { cert: string; key: string } {
  certificate ??= selfSignedCert(scratch);
  return certificate;
}

/**
 * The setup of one backend's describe block: a store for the block (a backend
 * that cannot start fails every test, never skips) and a fixture closed after each test.
 */
export function backendSuite(name: BackendName, label: string) {
  let backend: Backend | undefined;
  let store: Store | undefined;
  let fixture: Pop3Fixture | undefined;
  before(async () => {
    backend = await startBackend(name);
    store = await backend.open();
    console.log(`${label} on ${backend.server}`);
  });
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });
  after(async () => {
    await store?.close();
    await backend?.stop();
  });
  const suite = {
    get store(): Store {
      if (!store) throw new Error(`${name} store did not start`);
      return store;
    },
    /** The fixture of the running test (started by start()). */
    get fixture(): Pop3Fixture {
      if (!fixture) throw new Error('no POP3 listener started in this test');
      return fixture;
    },
    async start(options: FixtureOptions = {}): Promise<Pop3Fixture> {
      fixture = await startFixture(suite.store, options);
      return fixture;
    },
    /** The fixture of the running test, if one was started. */
    get started(): Pop3Fixture | undefined {
      return fixture;
    },
    /** Forgets the fixture the test closed itself. */
    forget(): void {
      fixture = undefined;
    },
  };
  return suite;
}

let userCounter = 0;
/** A user with no mailboxes yet: the first login must create INBOX. */
export async function addTestUser(store: Store, password = PASSWORD): Promise<User> {
  userCounter += 1;
  return store.addUser({ address: `user${userCounter}.${process.pid}@example.com`, passwordHash: await hashPassword(password) });
}

/** Puts a message into the user's INBOX the way a delivery would. */
export async function deliver(store: Store, user: User, raw: string | Buffer): Promise<void> {
  let inbox = await store.getMailbox(user.id, 'INBOX');
  inbox ??= await store.createMailbox(user.id, 'INBOX', { subscribed: true });
  await store.appendMessage(inbox.id, prepareMessage(Buffer.isBuffer(raw) ? raw : Buffer.from(raw)));
}

export function message(subject: string, body = 'Hello.\r\n'): string {
  return `From: sender@example.org\r\nTo: someone@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@example.org>\r\n\r\n${body}`;
}

export interface FixtureOptions extends Partial<Pop3ServerOptions> {
  allowCleartext?: boolean;
  maxConnectionsPerIp?: number;
  authFailuresBeforeBan?: number;
  withTls?: boolean;
}

/** A POP3 listener on 127.0.0.1 over `store`, with its own context (throttle, connection counts) and captured log lines. */
export interface Pop3Fixture {
  ctx: MailstoreContext;
  service: ProtocolService;
  port: number;
  logs: Record<string, unknown>[];
  connect(options?: { implicitTls?: boolean }): Promise<PopClient>;
  close(): Promise<void>;
}

export async function startFixture(store: Store, options: FixtureOptions = {}): Promise<Pop3Fixture> {
  const config = testConfig({
    data_dir: scratch,
    ...(options.withTls === false ? {} : { tls: testCertificate() }),
    pop3: { allow_cleartext_auth: options.allowCleartext ?? false },
    limits: { max_connections_per_ip: options.maxConnectionsPerIp ?? 20, auth_failures_before_ban: options.authFailuresBeforeBan ?? 10, ban_seconds: 60 },
  });
  const { ctx, service, port, logs } = await runService((c, address) => listenPop3(c, address, { implicitTls: false, ...options }), store, config);
  const clients: PopClient[] = [];
  return {
    ctx,
    service,
    port,
    logs,
    async connect(connectOptions = {}) {
      const client = await PopClient.connect(port, connectOptions.implicitTls ?? false);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await service.close();
    },
  };
}

/** A raw POP3 client: writes lines, reads replies exactly as the server sent them. */
export class PopClient extends LineClient {
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  private constructor(socket: Socket) {
    super(socket, 5000);
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
  }

  protected override onEnd(): void {
    this.markClosed();
  }

  static async connect(port: number, implicitTls: boolean): Promise<PopClient> {
    const socket = implicitTls ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(implicitTls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new PopClient(socket);
  }

  send(line: string): void {
    this.write(`${line}\r\n`);
  }

  /** A multi-line body up to the "." line, still byte-stuffed, each line without CRLF. */
  async readBody(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine();
      if (line === '.') return lines;
      lines.push(line);
    }
  }

  /** Raw bytes of a multi-line body including the final ".\r\n" (to check CRLF and stuffing exactly). */
  async readRawBody(): Promise<Buffer> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const end = this.buffer.indexOf('\r\n.\r\n');
      const atStart = this.buffer.subarray(0, 3).toString() === '.\r\n';
      if (atStart || end !== -1) {
        const length = atStart ? 3 : end + 5;
        const body = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        return body;
      }
      if (this.ended) throw new Error('connection closed inside a multi-line response');
      await this.waitForData(deadline);
    }
  }

  async command(line: string): Promise<string> {
    this.send(line);
    return this.readLine();
  }

  /** Sends a command expecting "+OK" and a multi-line body; returns both. */
  async multiline(line: string): Promise<{ status: string; lines: string[] }> {
    const status = await this.command(line);
    if (!status.startsWith('+OK')) return { status, lines: [] };
    return { status, lines: await this.readBody() };
  }

  /** USER/PASS; throws unless both succeed. */
  async login(username: string, password = PASSWORD): Promise<string> {
    const user = await this.command(`USER ${username}`);
    if (!user.startsWith('+OK')) throw new Error(`USER refused: ${user}`);
    const pass = await this.command(`PASS ${password}`);
    if (!pass.startsWith('+OK')) throw new Error(`PASS refused: ${pass}`);
    return pass;
  }

  /** RFC 2595 STLS: after "+OK", a TLS handshake over the same connection. */
  async startTls(pipelined = ''): Promise<string> {
    this.write(`STLS\r\n${pipelined}`);
    const reply = await this.readLine();
    if (!reply.startsWith('+OK')) return reply;
    await this.upgradeTls();
    return reply;
  }
}
