import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ListenAddress } from '@postern/config';
import type { Logger } from '@postern/log';
import { describeAddress, inSession, limitText, listenOn, type LimitRefusal, type SessionScope, type SessionSlots, type TlsProvider } from '@postern/service';
import type { MailstoreContext } from '../context.js';
import type { ProtocolService, ServiceOptions } from '../service.js';
import { CommandReader } from './parser.js';
import { response } from './responses.js';
import { ManageSieveSession, type ManageSieveTransport } from './session.js';

export interface ManageSieveServerOptions extends ServiceOptions {
  idleTimeoutMs?: number;
  maxLineOctets?: number;
  maxBadCommands?: number;
}

const DEFAULTS = {
  // Dovecot's managesieve idle timeout is 30 minutes, as IMAP's autologout (RFC 9051 §5.4).
  idleTimeoutMs: 30 * 60_000,
  maxLineOctets: 8192,
  maxBadCommands: 20,
  maxQueuedLines: 100,
  maxArgs: 8,
};
const CLOSE_GRACE_MS = 2_000;

/** One connection's socket work: STARTTLS, command framing, the idle timer and the connection slots. */
class ManageSieveConnection implements ManageSieveTransport {
  readonly clientIp: string;
  secure = false;
  private stream: Socket;
  private readonly reader: CommandReader;
  private readonly session: ManageSieveSession;
  private readonly log: Logger;
  private closed = false;
  private upgraded = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private markDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.markDone = resolve;
  });
  private readonly scope: SessionScope;
  private readonly onData = (chunk: Buffer): void => inSession(this.scope, () => this.session.receive(this.reader.push(chunk)));

  constructor(
    private readonly raw: Socket,
    private readonly ctx: MailstoreContext,
    private readonly tls: TlsProvider | null,
    private readonly options: Required<Omit<ManageSieveServerOptions, 'implicitTls'>>,
    private readonly slots: SessionSlots | LimitRefusal,
    private readonly onClosed: (connection: ManageSieveConnection) => void,
  ) {
    this.clientIp = raw.remoteAddress ?? 'unix';
    this.stream = raw;
    // A literal holds a script (sieve.max_script_size) or a SASL response; anything larger is refused as it streams by.
    this.reader = new CommandReader({ maxLineOctets: options.maxLineOctets, maxLiteralOctets: Math.max(ctx.config.sieve.max_script_size, 8192), maxArgs: DEFAULTS.maxArgs });
    const sessionId = randomBytes(6).toString('hex');
    this.scope = { service: 'managesieve', session: sessionId, client: this.clientIp, close: () => this.stream.destroy() };
    this.log = ctx.logger.child({ protocol: 'managesieve', session: sessionId, client: this.clientIp });
    this.session = new ManageSieveSession(ctx, this, this.log, { maxBadCommands: options.maxBadCommands, maxQueuedLines: DEFAULTS.maxQueuedLines });
    this.watch(raw);
  }

  get canStartTls(): boolean {
    return this.tls !== null && !this.secure && !this.upgraded;
  }

  begin(): void {
    this.log.info({ event: 'connect' }, `managesieve connect from ${this.clientIp}`);
    if (typeof this.slots === 'string') {
      const text = limitText(this.slots, this.ctx.config.limits);
      this.log.warn({ event: 'connection_limit', limit: this.slots }, `managesieve connection from ${this.clientIp} refused: ${text}`);
      void this.write(response('BYE', text, 'TRYLATER')).then(() => this.end());
      return;
    }
    this.stream.on('data', this.onData);
    // RFC 5804 §1.7: the greeting is the capability list followed by OK.
    void this.write(this.session.capabilities() + response('OK', 'Postern ManageSieve ready'));
  }

  write(data: string): Promise<void> {
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

  startTls(onSecure: () => void): void {
    // Whatever the client pipelined after STARTTLS is plaintext: drop it (as RFC 3207 §4.2).
    this.raw.off('data', this.onData);
    this.reader.clear();
    while (this.raw.read() !== null);
    this.upgraded = true;
    const tls = new TLSSocket(this.raw, { isServer: true, secureContext: this.tls!.defaultContext, SNICallback: this.tls!.SNICallback });
    this.raw.setTimeout(0);
    this.stream = tls;
    this.watch(tls);
    tls.once('secure', () => {
      this.secure = true;
      this.log.info({ event: 'tls', version: tls.getProtocol(), cipher: tls.getCipher()?.name }, `managesieve TLS with ${this.clientIp}`);
      onSecure();
    });
    tls.on('data', this.onData);
  }

  pauseInput(): void {
    this.stream.pause();
  }

  resumeInput(): void {
    this.stream.resume();
  }

  admitLogin(user: string): boolean {
    return typeof this.slots !== 'string' && this.slots.login(user);
  }

  end(): void {
    if (this.stream.destroyed || this.stream.writableEnded) return;
    if (this.upgraded && !this.secure) {
      this.stream.destroy();
      return;
    }
    this.stream.end();
    this.graceTimer = setTimeout(() => this.stream.destroy(), CLOSE_GRACE_MS);
  }

  async shutdown(): Promise<void> {
    await this.session.whenIdle();
    if (this.closed) return;
    this.session.disconnected();
    await this.write(response('BYE', 'Server shutting down', 'TRYLATER'));
    this.end();
  }

  private watch(stream: Socket): void {
    stream.setTimeout(this.options.idleTimeoutMs);
    stream.on('timeout', () => {
      if (stream !== this.stream || this.closed) return;
      this.log.info({ event: 'timeout' }, `managesieve ${this.clientIp} idle for ${this.options.idleTimeoutMs} ms`);
      this.session.disconnected();
      void this.write(response('BYE', 'Disconnected for inactivity')).then(() => this.end());
    });
    stream.on('error', (error: Error) => {
      this.log.info({ event: 'socket_error', err: error.message }, `managesieve connection error from ${this.clientIp}: ${error.message}`);
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
    this.log.info({ event: 'disconnect', user: this.session.user?.address }, `managesieve disconnect from ${this.clientIp}`);
    this.onClosed(this);
    this.markDone();
  }
}

/** Listens for ManageSieve (RFC 5804) on one address, with STARTTLS when TLS is configured. */
export async function listenManageSieve(ctx: MailstoreContext, address: ListenAddress, options: ManageSieveServerOptions): Promise<ProtocolService> {
  if (options.implicitTls) throw new Error('managesieve: RFC 5804 defines no implicit-TLS port; use STARTTLS');
  const settings = {
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
    maxLineOctets: options.maxLineOctets ?? DEFAULTS.maxLineOctets,
    maxBadCommands: options.maxBadCommands ?? DEFAULTS.maxBadCommands,
  };
  const connections = new Set<ManageSieveConnection>();
  const server: Server = createServer((socket) => {
    const ip = socket.remoteAddress ?? 'unix';
    const connection = new ManageSieveConnection(socket, ctx, ctx.tls, settings, ctx.connections.open('managesieve', ip), (c) => connections.delete(c));
    connections.add(connection);
    connection.begin();
  });
  const bound = await listenOn(server, address, 'managesieve');
  server.on('error', (error) => ctx.logger.error({ protocol: 'managesieve', err: error }, 'managesieve listener error'));
  return {
    description: `managesieve on ${describeAddress(bound)}`,
    address: bound,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const open = [...connections];
      await Promise.all(open.map((connection) => connection.shutdown()));
      await Promise.all([stopped, ...open.map((connection) => connection.done)]);
    },
  };
}
