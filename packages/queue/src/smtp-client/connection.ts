import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SmtpClientError, type SmtpFailureKind } from './errors.js';
import { ReplyParser, type SmtpReply } from './reply.js';
import type { TlsaRecord } from '@postern/dns';
import { socketDaneProblem } from './dane-verify.js';
import { certificateProblem } from './verify.js';

/** Where the server listens: a TCP host and port, or a unix socket (LMTP). */
export type Endpoint = { host: string; port: number } | { path: string };

export interface ConnectOptions {
  endpoint: Endpoint;
  /** smtp.bind_address: the source address of the connection. */
  localAddress?: string | undefined;
  /** RFC 8314 §3: TLS from the first octet (port 465). */
  implicitTls: boolean;
  /** SNI for TLS; null for an IP address (RFC 6066 §3 forbids literal addresses). */
  servername: string | null;
  /** Time for the TCP connect (and the TLS handshake when implicit). */
  timeoutMs: number;
  /** "mx.example.net[127.0.0.5]:25", as messages name the server. */
  peer: string;
  /** smtp.tls_CAfile's certificates; undefined: the system store. */
  ca?: Buffer | undefined;
}

interface Waiter {
  resolve: (reply: SmtpReply) => void;
  reject: (error: SmtpClientError) => void;
}

const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'Connection refused',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ECONNRESET: 'Connection reset by peer',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
};

/**
 * The handshake completes whatever the certificate; `authorized` then says
 * whether the chain ends at a trusted CA (`ca`, else the system store) and
 * nothing more: the names are certificateProblem's to match, against the
 * names the TLS level asks for rather than the SNI name.
 */
function unverifiedHandshake(ca: Buffer | undefined) {
  return { rejectUnauthorized: false, checkServerIdentity: () => undefined, ...(ca !== undefined ? { ca } : {}) };
}

/** The error text of a failed socket, in the words of the C library as Postfix logs them. */
function describeSocketError(error: NodeJS.ErrnoException): string {
  return (error.code !== undefined ? CONNECT_ERRORS[error.code] : undefined) ?? error.message;
}

/**
 * One connection to an SMTP or LMTP server: bytes out, replies in, every
 * wait bounded by a timer. It knows nothing of commands; the session does.
 */
export class SmtpConnection {
  private socket: Socket;
  private parser = new ReplyParser();
  private ready: SmtpReply[] = [];
  private waiter: Waiter | null = null;
  /** Why the connection cannot be used any more (the kind and the bare cause). */
  private broken: { kind: SmtpFailureKind; cause: string } | null = null;
  private secureNow: boolean;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onError = (error: Error) => this.fail('lost', describeSocketError(error));
  private readonly onClose = () => this.fail('lost', 'connection closed');

  private constructor(
    socket: Socket,
    readonly peer: string,
    secure: boolean,
  ) {
    this.socket = socket;
    this.secureNow = secure;
    this.attach(socket);
  }

  /** Connects within options.timeoutMs. Rejects with SmtpClientError 'connect' (or 'tls' for a failed implicit TLS handshake). */
  static open(options: ConnectOptions): Promise<SmtpConnection> {
    const { endpoint, peer } = options;
    return new Promise((resolve, reject) => {
      let socket: Socket;
      const ready = options.implicitTls ? 'secureConnect' : 'connect';
      if ('path' in endpoint) {
        socket = netConnect({ path: endpoint.path });
      } else if (options.implicitTls) {
        // The certificate is checked after the handshake, as the TLS level asks (certificateProblem).
        const tlsOptions = { host: endpoint.host, port: endpoint.port, localAddress: options.localAddress, ...unverifiedHandshake(options.ca) };
        socket = tlsConnect(options.servername === null ? tlsOptions : { ...tlsOptions, servername: options.servername });
      } else {
        socket = netConnect({ host: endpoint.host, port: endpoint.port, localAddress: options.localAddress });
      }
      let connected = false;
      const settle = (error: SmtpClientError | null) => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        socket.removeListener(ready, onReady);
        if (error === null) {
          resolve(new SmtpConnection(socket, peer, options.implicitTls));
        } else {
          // A late error from the abandoned socket must not become an uncaught exception.
          socket.on('error', () => undefined);
          socket.destroy();
          reject(error);
        }
      };
      const onReady = () => settle(null);
      const onConnect = () => (connected = true);
      const onError = (error: NodeJS.ErrnoException) => {
        // A TLS error after the TCP connect is a handshake failure, not a refused connection.
        if (options.implicitTls && connected) settle(new SmtpClientError('tls', `TLS handshake with ${peer} failed: ${error.message}`));
        else settle(new SmtpClientError('connect', `connect to ${peer}: ${describeSocketError(error)}`));
      };
      const timer = setTimeout(() => {
        const phase = options.implicitTls && connected ? 'TLS handshake timed out' : 'Connection timed out';
        settle(new SmtpClientError(phase.startsWith('TLS') ? 'tls' : 'connect', `connect to ${peer}: ${phase}`));
      }, options.timeoutMs);
      socket.once('connect', onConnect);
      socket.once(ready, onReady);
      socket.on('error', onError);
    });
  }

  /** True once TLS is on (implicit or after STARTTLS). */
  get secure(): boolean {
    return this.secureNow;
  }

  /** Why the server's certificate does not pass Postfix's verify/secure check for `names`, or null when it does; "no TLS" in plaintext. */
  certificateProblem(names: readonly string[]): string | null {
    if (!this.secureNow) return 'no TLS';
    return certificateProblem(this.socket as TLSSocket, names);
  }

  /** Why the server's certificate does not match the usable TLSA records (RFC 7672 §3.1), or null when it does; "no TLS" in plaintext. */
  daneProblem(records: readonly TlsaRecord[], names: readonly string[]): string | null {
    if (!this.secureNow) return 'no TLS';
    return socketDaneProblem(this.socket as TLSSocket, records, names);
  }

  /** The negotiated TLS protocol and cipher, for the log ("TLSv1.3 TLS_AES_256_GCM_SHA384"); null in plaintext. */
  get tlsDescription(): string | null {
    if (!this.secureNow) return null;
    const socket = this.socket as TLSSocket;
    const cipher = socket.getCipher();
    return `${socket.getProtocol() ?? 'TLS'} ${cipher.standardName ?? cipher.name}`;
  }

  /** Our end of the connection (TLS-RPT's sending-mta-ip, RFC 8460 §4.4); '' when not known. */
  get localAddress(): string {
    return this.socket.localAddress ?? '';
  }

  get usable(): boolean {
    return this.broken === null && !this.socket.destroyed;
  }

  /** The next reply, waiting at most timeoutMs; `stage` completes "… while STAGE" in errors. */
  read(stage: string, timeoutMs: number): Promise<SmtpReply> {
    const next = this.ready.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.broken !== null) return Promise.reject(this.error(stage));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        this.fail('timeout', 'timed out');
        reject(this.error(stage));
      }, timeoutMs);
      this.waiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: () => {
          clearTimeout(timer);
          reject(this.error(stage));
        },
      };
    });
  }

  /** Writes with back-pressure: waits for 'drain' at most timeoutMs. */
  async write(data: string | Buffer, stage: string, timeoutMs: number): Promise<void> {
    if (this.broken !== null) throw this.error(stage);
    if (this.socket.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (error: SmtpClientError | null) => {
        clearTimeout(timer);
        this.socket.removeListener('drain', onDrain);
        this.socket.removeListener('close', onClose);
        if (error === null) resolve();
        else reject(error);
      };
      const onDrain = () => done(null);
      const onClose = () => done(this.error(stage));
      const timer = setTimeout(() => {
        this.fail('timeout', 'timed out');
        done(this.error(stage));
      }, timeoutMs);
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  /**
   * RFC 3207 §4.2: after the server's 220 to STARTTLS, the TLS handshake on the
   * same socket. Anything the server sent in plaintext after its 220 is thrown
   * away (it could be an injected reply). The handshake completes whatever the
   * certificate (opportunistic TLS, RFC 7435 §3); the caller checks it with
   * certificateProblem when its level asks for it, against `ca`.
   */
  async startTls(servername: string | null, timeoutMs: number, ca?: Buffer): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    plain.on('error', () => undefined);
    this.parser = new ReplyParser();
    this.ready = [];
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const options = { socket: plain, ...unverifiedHandshake(ca) };
      const socket = tlsConnect(servername === null ? options : { ...options, servername });
      const settle = (error: SmtpClientError | null) => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        socket.removeListener('close', onClose);
        if (error === null) {
          resolve(socket);
        } else {
          socket.on('error', () => undefined);
          socket.destroy();
          plain.destroy();
          this.broken = { kind: 'tls', cause: error.message };
          reject(error);
        }
      };
      const onError = (error: Error) => settle(new SmtpClientError('tls', `TLS handshake with ${this.peer} failed: ${error.message}`));
      const onClose = () => settle(new SmtpClientError('tls', `TLS handshake with ${this.peer} failed: connection closed`));
      const timer = setTimeout(() => settle(new SmtpClientError('tls', `TLS handshake with ${this.peer} failed: timed out`)), timeoutMs);
      socket.once('secureConnect', () => settle(null));
      socket.on('error', onError);
      socket.once('close', onClose);
    });
    this.socket = secure;
    this.secureNow = true;
    this.attach(secure);
  }

  /** Ends the connection; a peer that does not close its side is cut off a moment later. */
  close(): void {
    if (this.socket.destroyed) return;
    this.broken ??= { kind: 'lost', cause: 'connection closed by us' };
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.broken ??= { kind: 'lost', cause: 'connection closed by us' };
    this.socket.destroy();
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private detach(socket: Socket): void {
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
  }

  private receive(chunk: Buffer): void {
    let replies: SmtpReply[];
    try {
      replies = this.parser.push(chunk);
    } catch (error) {
      this.fail('protocol', (error as Error).message);
      this.socket.destroy();
      return;
    }
    for (const reply of replies) {
      const waiter = this.waiter;
      this.waiter = null;
      if (waiter) waiter.resolve(reply);
      else this.ready.push(reply);
    }
  }

  private fail(kind: SmtpFailureKind, cause: string): void {
    if (this.broken === null) this.broken = { kind, cause };
    if (kind === 'timeout' || kind === 'protocol') this.socket.destroy();
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(this.error(''));
  }

  /** Postfix's wording: "conversation with X timed out while …", "lost connection with X while …". */
  private error(stage: string): SmtpClientError {
    const { kind, cause } = this.broken ?? { kind: 'lost' as const, cause: 'connection closed' };
    const during = stage === '' ? '' : ` while ${stage}`;
    switch (kind) {
      case 'timeout':
        return new SmtpClientError(kind, `conversation with ${this.peer} timed out${during}`);
      case 'protocol':
        return new SmtpClientError(kind, `protocol error with ${this.peer}${during}: ${cause}`);
      case 'tls':
        return new SmtpClientError(kind, cause);
      default:
        return new SmtpClientError(kind, `lost connection with ${this.peer}${during}`);
    }
  }
}
