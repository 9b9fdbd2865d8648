import { connect, type Socket } from 'node:net';
import { describeEndpoint, type PolicyEndpoint } from './endpoint.js';

export interface PolicyClientOptions {
  /** smtpd_policy_service_timeout: the whole exchange (connect, request, reply). */
  timeoutMs: number;
  /** smtpd_policy_service_max_idle: an unused connection is closed after this long. */
  maxIdleMs: number;
  /** smtpd_policy_service_max_ttl: a connection is not reused once this old. */
  maxTtlMs: number;
}

// A reply is a handful of short lines; a service that sends more is broken (Postfix's attr_scan limits them too).
const MAX_REPLY_BYTES = 64 * 1024;
// smtpd_policy_service_try_limit (Postfix default 2): a reused connection the service closed while idle is retried once on a fresh one.
const TRY_LIMIT = 2;

interface Connection {
  socket: Socket;
  openedAt: number;
  idleTimer: NodeJS.Timeout | null;
}

/** Parses the reply's `name=value` lines (SMTPD_POLICY_README: the server answers with attributes and an empty line). */
function replyAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const line of text.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0) attributes.set(line.slice(0, equals).trim(), line.slice(equals + 1).replace(/\r$/, ''));
  }
  return attributes;
}

/**
 * One policy service's connections, kept open and reused from one request to
 * the next (Postfix's smtpd keeps its policy connection across sessions, up to
 * max_idle and max_ttl). A connection serves one request at a time: more at
 * once open more connections.
 */
export class PolicyClient {
  private readonly idle: Connection[] = [];

  constructor(
    readonly endpoint: PolicyEndpoint,
    private readonly options: PolicyClientOptions,
  ) {}

  get name(): string {
    return describeEndpoint(this.endpoint);
  }

  /** Sends one request and returns the reply's `action` value; throws on a connection error, a timeout or a reply without one. */
  async query(request: string): Promise<string> {
    let lastError: Error = new Error('no attempt');
    for (let attempt = 0; attempt < TRY_LIMIT; attempt++) {
      const reused = this.takeIdle();
      const connection = reused ?? (await this.open());
      try {
        const reply = await this.exchange(connection, request);
        const action = reply.get('action');
        if (action === undefined) throw new Error('the reply has no action= attribute');
        this.release(connection);
        return action;
      } catch (error) {
        connection.socket.destroy();
        lastError = error as Error;
        // Only a connection that sat idle may have been closed under us; a fresh one failing is the answer.
        if (reused === null) break;
      }
    }
    throw lastError;
  }

  /** Closes every idle connection (at reload and shutdown). */
  close(): void {
    for (const connection of this.idle.splice(0)) {
      if (connection.idleTimer) clearTimeout(connection.idleTimer);
      connection.socket.destroy();
    }
  }

  private takeIdle(): Connection | null {
    while (this.idle.length > 0) {
      const connection = this.idle.pop()!;
      if (connection.idleTimer) clearTimeout(connection.idleTimer);
      connection.idleTimer = null;
      connection.socket.ref();
      if (!connection.socket.destroyed && Date.now() - connection.openedAt < this.options.maxTtlMs) return connection;
      connection.socket.destroy();
    }
    return null;
  }

  private release(connection: Connection): void {
    if (connection.socket.destroyed || Date.now() - connection.openedAt >= this.options.maxTtlMs) {
      connection.socket.destroy();
      return;
    }
    connection.idleTimer = setTimeout(() => {
      const index = this.idle.indexOf(connection);
      if (index >= 0) this.idle.splice(index, 1);
      connection.socket.destroy();
    }, this.options.maxIdleMs);
    connection.idleTimer.unref();
    // An idle connection does not keep the process alive (a stopping MTA exits without waiting for max_idle).
    connection.socket.unref();
    this.idle.push(connection);
  }

  private open(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = this.endpoint.kind === 'unix' ? connect(this.endpoint.path) : connect(this.endpoint.port, this.endpoint.host);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect timed out after ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        // An idle connection's error (the service went away) only marks it dead; the next use notices.
        socket.on('error', () => socket.destroy());
        resolve({ socket, openedAt: Date.now(), idleTimer: null });
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  private exchange(connection: Connection, request: string): Promise<Map<string, string>> {
    const { socket } = connection;
    return new Promise((resolve, reject) => {
      let received = '';
      const finish = (error: Error | null, reply?: Map<string, string>): void => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('close', onClose);
        if (error) reject(error);
        else resolve(reply!);
      };
      const onData = (chunk: Buffer): void => {
        received += chunk.toString('utf8');
        const end = received.search(/\r?\n\r?\n/);
        if (end >= 0) return finish(null, replyAttributes(received.slice(0, end)));
        if (received.length > MAX_REPLY_BYTES) finish(new Error(`the reply is longer than ${MAX_REPLY_BYTES} bytes`));
      };
      const onClose = (): void => finish(new Error('the service closed the connection before its reply'));
      const timer = setTimeout(() => finish(new Error(`no reply within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.write(request);
    });
  }
}
