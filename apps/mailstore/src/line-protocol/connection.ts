import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from '@postern/log';
import { inSession, limitText, type LimitRefusal, type SessionScope, type SessionSlots, type TlsProvider } from '@postern/service';
import type { MailstoreContext } from '../context.js';

/** Splits the client's bytes into the protocol's events (lines, or commands with literals). */
export interface InputReader<Event> {
  push(chunk: Buffer): Event[];
  /** Forgets any unfinished input (after STARTTLS/STLS: pipelined plaintext must not survive the upgrade). */
  clear(): void;
}

/** What the connection needs from its session. */
export interface ConnectionSession<Event> {
  readonly user: { readonly address: string } | null;
  receive(events: Event[]): void;
  whenIdle(): Promise<void>;
  disconnected(): void;
}

/** What a session needs from its connection; LineConnection provides it over node:net / node:tls. */
export interface LineTransport {
  readonly clientIp: string;
  /** True once the connection runs under TLS (implicit TLS, or after STARTTLS/STLS). */
  readonly secure: boolean;
  /** TLS is configured and the connection is still in plaintext. */
  readonly canStartTls: boolean;
  /** Resolves once the socket took the data (waits for 'drain' when its buffer is full). */
  write(data: string | Buffer): Promise<void>;
  /** Starts the TLS handshake right after the positive reply; anything the client sent meanwhile is dropped; `onSecure` runs after it. */
  startTls(onSecure?: () => void): void;
  pauseInput(): void;
  resumeInput(): void;
  /** At login: takes a user+address slot (mail_max_userip_connections); false when none is left. */
  admitLogin(user: string): Promise<boolean>;
  /** Ends the connection once pending output is sent. */
  end(): void;
}

/** What differs between the line protocols (POP3, ManageSieve) that LineConnection serves. */
export interface LineProtocol<Event, Session extends ConnectionSession<Event>> {
  /** The service name: in log lines, the session scope and the connection limits. */
  readonly name: string;
  /** 995-style TLS from the first byte (RFC 8314); otherwise plaintext with STARTTLS/STLS. */
  readonly implicitTls?: boolean;
  readonly idleTimeoutMs: number;
  createReader(): InputReader<Event>;
  createSession(transport: LineTransport, log: Logger): Session;
  /** The server's first words to an admitted client. */
  greeting(session: Session): string;
  /** The reply that refuses a connection over its limit, with the limit's text. */
  refusal(text: string): string;
  /** The reply before the idle timer cuts the connection. */
  readonly idleReply: string;
  /** The reply when the server shuts down under a session. */
  readonly shutdownReply: string;
}

/** How long a closing connection may take to say goodbye before it is cut. */
const CLOSE_GRACE_MS = 2_000;

/**
 * One connection's socket work: TLS (implicit or after STARTTLS/STLS), input
 * framing, the idle timer and the per-IP connection slot. Hands events to its session.
 */
export class LineConnection<Event, Session extends ConnectionSession<Event>> implements LineTransport {
  readonly clientIp: string;
  secure = false;
  private stream: Socket;
  private readonly reader: InputReader<Event>;
  private readonly session: Session;
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
    private readonly protocol: LineProtocol<Event, Session>,
    private readonly slots: SessionSlots | LimitRefusal,
    private readonly onClosed: (connection: LineConnection<Event, Session>) => void,
  ) {
    this.clientIp = raw.remoteAddress ?? 'unix';
    this.stream = raw;
    this.reader = protocol.createReader();
    const sessionId = randomBytes(6).toString('hex');
    this.scope = { service: protocol.name, session: sessionId, client: this.clientIp, close: () => this.stream.destroy() };
    this.log = ctx.logger.child({ protocol: protocol.name, session: sessionId, client: this.clientIp });
    this.session = protocol.createSession(this, this.log);
    this.watch(raw);
  }

  get canStartTls(): boolean {
    return this.tls !== null && !this.secure && !this.upgraded;
  }

  /** Sends the greeting (after the handshake for implicit TLS), or refuses an IP over its connection limit. */
  begin(): void {
    // `tls` is left out of the log line (undefined) for a protocol without implicit TLS.
    this.log.info({ event: 'connect', tls: this.protocol.implicitTls }, `${this.protocol.name} connect from ${this.clientIp}`);
    if (this.protocol.implicitTls) this.wrapTls(() => this.greet());
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

  startTls(onSecure: () => void = () => {}): void {
    // Whatever the client pipelined after STARTTLS/STLS is plaintext: drop it (RFC 3207 §4.2, RFC 2595 §4).
    this.raw.off('data', this.onData);
    this.reader.clear();
    while (this.raw.read() !== null);
    this.wrapTls(onSecure);
    this.stream.on('data', this.onData);
  }

  pauseInput(): void {
    this.stream.pause();
  }

  resumeInput(): void {
    this.stream.resume();
  }

  async admitLogin(user: string): Promise<boolean> {
    return typeof this.slots !== 'string' && (await this.slots.login(user));
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

  /** Server shutdown: lets a running command (a POP3 QUIT's deletions) finish, then says goodbye. */
  async shutdown(): Promise<void> {
    await this.session.whenIdle();
    if (this.closed) return;
    this.session.disconnected();
    await this.write(this.protocol.shutdownReply);
    this.end();
  }

  private greet(): void {
    if (typeof this.slots === 'string') {
      const text = limitText(this.slots, this.ctx.config.limits);
      this.log.warn({ event: 'connection_limit', limit: this.slots }, `${this.protocol.name} connection from ${this.clientIp} refused: ${text}`);
      void this.write(this.protocol.refusal(text)).then(() => this.end());
      return;
    }
    this.stream.on('data', this.onData);
    void this.write(this.protocol.greeting(this.session));
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
      this.log.info({ event: 'tls', version: tls.getProtocol(), cipher: tls.getCipher()?.name }, `${this.protocol.name} TLS with ${this.clientIp}`);
      onSecure();
    });
  }

  private watch(stream: Socket): void {
    stream.setTimeout(this.protocol.idleTimeoutMs);
    stream.on('timeout', () => {
      if (stream !== this.stream || this.closed) return;
      this.log.info({ event: 'timeout' }, `${this.protocol.name} ${this.clientIp} idle for ${this.protocol.idleTimeoutMs} ms`);
      this.session.disconnected();
      void this.write(this.protocol.idleReply).then(() => this.end());
    });
    stream.on('error', (error: Error) => {
      this.log.info({ event: 'socket_error', err: error.message }, `${this.protocol.name} connection error from ${this.clientIp}: ${error.message}`);
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
    this.log.info({ event: 'disconnect', user: this.session.user?.address }, `${this.protocol.name} disconnect from ${this.clientIp}`);
    this.onClosed(this);
    this.markDone();
  }
}
