import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ListenAddress } from '@postern/config';
import type { Logger } from '@postern/log';
import { describeAddress, inSession, limitText, listenOn, type LimitRefusal, type SessionScope, type SessionSlots, type TlsProvider } from '@postern/service';
import type { MailstoreContext } from '../context.js';
import type { ProtocolService, ServiceOptions } from '../service.js';
import { LineReader } from './lines.js';
import { Pop3Session, type Pop3Transport, type SessionLimits } from './session.js';

export interface Pop3ServerOptions extends ServiceOptions {
  /** RFC 1939 §3: the autologout timer must be at least 10 minutes; tests may shorten it. */
  idleTimeoutMs?: number;
  /** Longest command line in octets, CRLF included. */
  maxLineOctets?: number;
  maxBadCommands?: number;
}

const DEFAULTS = {
  idleTimeoutMs: 10 * 60_000,
  // RFC 2449 §4 caps commands at 255 octets; RFC 5034 §4 lifts that for AUTH responses, so allow long credentials.
  maxLineOctets: 2048,
  maxBadCommands: 20,
  maxQueuedLines: 100,
};
/** How long a closing connection may take to say goodbye before it is cut. */
const CLOSE_GRACE_MS = 2_000;

/**
 * One connection's socket work: TLS (implicit or after STLS), line framing,
 * the idle timer and the per-IP connection slot. Hands lines to its session.
 */
class Pop3Connection implements Pop3Transport {
  readonly clientIp: string;
  secure = false;
  private stream: Socket;
  private readonly reader: LineReader;
  private readonly session: Pop3Session;
  private readonly log: Logger;
  private closed = false;
  private upgraded = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private markDone!: () => void;
  /** Resolves once the socket is closed and the connection slot released. */
  readonly done = new Promise<void>((resolve) => {
    this.markDone = resolve;
  });
  /** Names this session to the process-level policy, which ends it after an error nothing else caught. */
  private readonly scope: SessionScope;
  private readonly onData = (chunk: Buffer): void => inSession(this.scope, () => this.session.receive(this.reader.push(chunk)));

  constructor(
    private readonly raw: Socket,
    private readonly ctx: MailstoreContext,
    private readonly tls: TlsProvider | null,
    private readonly options: Required<Pop3ServerOptions>,
    private readonly slots: SessionSlots | LimitRefusal,
    private readonly onClosed: (connection: Pop3Connection) => void,
  ) {
    this.clientIp = raw.remoteAddress ?? 'unix';
    this.stream = raw;
    this.reader = new LineReader(options.maxLineOctets);
    const sessionId = randomBytes(6).toString('hex');
    this.scope = { service: 'pop3', session: sessionId, client: this.clientIp, close: () => this.stream.destroy() };
    this.log = ctx.logger.child({ protocol: 'pop3', session: sessionId, client: this.clientIp });
    this.session = new Pop3Session(ctx, this, this.log, { maxBadCommands: options.maxBadCommands, maxQueuedLines: DEFAULTS.maxQueuedLines });
    this.watch(raw);
  }

  get canStartTls(): boolean {
    return this.tls !== null && !this.secure && !this.upgraded;
  }

  /** Sends the greeting (after the handshake for implicit TLS), or refuses an IP over its connection limit. */
  begin(): void {
    this.log.info({ event: 'connect', tls: this.options.implicitTls }, `pop3 connect from ${this.clientIp}`);
    if (this.options.implicitTls) this.wrapTls(() => this.greet());
    else this.greet();
  }

  write(data: string | Buffer): Promise<void> {
    if (this.closed || this.stream.destroyed || this.stream.writableEnded) return Promise.resolve();
    if (this.stream.write(data)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
  }

  startTls(): void {
    // Whatever the client pipelined after STLS is plaintext: drop it (RFC 2595 §4, as for STARTTLS in RFC 3207 §4.2).
    this.raw.off('data', this.onData);
    this.reader.clear();
    while (this.raw.read() !== null);
    this.wrapTls(() => {});
    this.stream.on('data', this.onData);
  }

  pauseInput(): void {
    this.stream.pause();
  }

  admitLogin(user: string): boolean {
    return typeof this.slots !== 'string' && this.slots.login(user);
  }

  resumeInput(): void {
    this.stream.resume();
  }

  end(): void {
    if (this.stream.destroyed || this.stream.writableEnded) return;
    // Mid-handshake there is no TLS session to close politely.
    if (this.upgraded && !this.secure) {
      this.stream.destroy();
      return;
    }
    this.stream.end();
    // A client that never closes its side must not hold the connection slot.
    this.graceTimer = setTimeout(() => this.stream.destroy(), CLOSE_GRACE_MS);
  }

  /** Server shutdown: lets a running command (a QUIT's deletions) finish, then says goodbye without UPDATE. */
  async shutdown(): Promise<void> {
    await this.session.whenIdle();
    if (this.closed) return;
    this.session.disconnected();
    await this.write('-ERR [SYS/TEMP] Server shutting down\r\n');
    this.end();
  }

  private greet(): void {
    if (typeof this.slots === 'string') {
      const text = limitText(this.slots, this.ctx.config.limits);
      this.log.warn({ event: 'connection_limit', limit: this.slots }, `pop3 connection from ${this.clientIp} refused: ${text}`);
      // RFC 3206 §4: SYS/TEMP, a temporary condition on the server's side.
      void this.write(`-ERR [SYS/TEMP] ${text}\r\n`).then(() => this.end());
      return;
    }
    this.stream.on('data', this.onData);
    void this.write('+OK Postern POP3 ready\r\n');
  }

  private wrapTls(onSecure: () => void): void {
    this.upgraded = true;
    // The context in service at this handshake: the default one, or the SNI name's (RFC 6066 §3).
    const tls = new TLSSocket(this.raw, { isServer: true, secureContext: this.tls!.defaultContext, SNICallback: this.tls!.SNICallback });
    this.raw.setTimeout(0);
    this.stream = tls;
    this.watch(tls);
    tls.once('secure', () => {
      this.secure = true;
      this.log.info({ event: 'tls', version: tls.getProtocol(), cipher: tls.getCipher()?.name }, `pop3 TLS with ${this.clientIp}`);
      onSecure();
    });
  }

  private watch(stream: Socket): void {
    stream.setTimeout(this.options.idleTimeoutMs);
    stream.on('timeout', () => {
      if (stream !== this.stream || this.closed) return;
      // RFC 1939 §3: the autologout timer ends the session without entering UPDATE.
      this.log.info({ event: 'timeout' }, `pop3 ${this.clientIp} idle for ${this.options.idleTimeoutMs} ms`);
      this.session.disconnected();
      void this.write('-ERR [SYS/TEMP] Disconnected for inactivity\r\n').then(() => this.end());
    });
    stream.on('error', (error: Error) => {
      this.log.info({ event: 'socket_error', err: error.message }, `pop3 connection error from ${this.clientIp}: ${error.message}`);
    });
    stream.on('close', () => this.finish());
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.graceTimer);
    this.session.disconnected();
    this.stream.destroy();
    this.raw.destroy();
    if (typeof this.slots !== 'string') this.slots.close();
    this.log.info({ event: 'disconnect', user: this.session.user?.address }, `pop3 disconnect from ${this.clientIp}`);
    this.onClosed(this);
    this.markDone();
  }
}

/** Listens for POP3 on one address: 110-style with STLS when TLS is configured, or 995-style implicit TLS (RFC 8314). */
export async function listenPop3(ctx: MailstoreContext, address: ListenAddress, options: Pop3ServerOptions): Promise<ProtocolService> {
  if (options.implicitTls && !ctx.tls) throw new Error('pop3s: implicit TLS needs [tls] cert and key');
  const settings: Required<Pop3ServerOptions> = {
    implicitTls: options.implicitTls,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    maxLineOctets: options.maxLineOctets ?? DEFAULTS.maxLineOctets,
    maxBadCommands: options.maxBadCommands ?? DEFAULTS.maxBadCommands,
  };
  const connections = new Set<Pop3Connection>();
  const server: Server = createServer((socket) => {
    const ip = socket.remoteAddress ?? 'unix';
    const connection = new Pop3Connection(socket, ctx, ctx.tls, settings, ctx.connections.open('pop3', ip), (c) => connections.delete(c));
    connections.add(connection);
    connection.begin();
  });
  const name = options.implicitTls ? 'pop3s' : 'pop3';
  const bound = await listenOn(server, address, name);
  server.on('error', (error) => ctx.logger.error({ protocol: 'pop3', err: error }, 'pop3 listener error'));
  return {
    description: `${name} on ${describeAddress(bound)}`,
    address: bound,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const open = [...connections];
      await Promise.all(open.map((connection) => connection.shutdown()));
      await Promise.all([stopped, ...open.map((connection) => connection.done)]);
    },
  };
}
