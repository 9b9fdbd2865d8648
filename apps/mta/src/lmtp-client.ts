import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { ListenAddress } from '@postern/config';
import { describeAddress } from '@postern/service';

/** One reply of the LMTP server (all lines of a multi-line reply joined). */
export interface LmtpServerReply {
  code: number;
  /** RFC 3463 enhanced status code when the server sent one (RFC 2034). */
  enhanced: string | null;
  /** The text after the code and enhanced code, lines joined by a space. */
  text: string;
  lines: string[];
}

export class LmtpClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LmtpClientError';
  }
}

const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})\s+/;
const CONNECT_TIMEOUT_MS = 30_000;
// A line longer than this is not a reply (RFC 5321 §4.5.3.1.5: 512 octets).
const MAX_REPLY_LINE = 4096;

/**
 * An LMTP client session (RFC 2033) over TCP or a unix socket: the MTA's
 * delivery agent towards the mailstore or Dovecot. Commands are pipelined
 * (LMTP servers must support PIPELINING, RFC 2033 §5); each command's reply
 * is read in order.
 */
export class LmtpClient {
  /** EHLO keywords from LHLO, upper case (PIPELINING, 8BITMIME, SMTPUTF8, SIZE …). */
  capabilities = new Set<string>();
  private buffer = '';
  private lines: string[] = [];
  private readonly ready: LmtpServerReply[] = [];
  private readonly waiting: { resolve: (reply: LmtpServerReply) => void; reject: (err: Error) => void }[] = [];
  private failure: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    readonly destination: string,
  ) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => this.receive(text));
    socket.on('error', (err) => this.fail(new LmtpClientError(`LMTP ${destination}: ${err.message}`)));
    socket.on('close', () => this.fail(new LmtpClientError(`LMTP ${destination}: connection closed`)));
    socket.on('timeout', () => {
      this.fail(new LmtpClientError(`LMTP ${destination}: timed out waiting for the server`));
      socket.destroy();
    });
  }

  /** Connects, reads the greeting and says LHLO. */
  static async open(destination: ListenAddress, options: { hostname: string; timeoutMs: number }): Promise<LmtpClient> {
    const socket = destination.kind === 'unix' ? connect({ path: destination.path }) : connect({ host: destination.host, port: destination.port });
    // Postfix lmtp_connect_timeout / lmtp_helo_timeout: a dead peer is given up on quickly; replies later get timeoutMs.
    socket.setTimeout(CONNECT_TIMEOUT_MS);
    socket.setNoDelay(true);
    const client = new LmtpClient(socket, describeAddress(destination));
    try {
      const greeting = await client.reply();
      if (greeting.code !== 220) throw new LmtpClientError(`LMTP ${client.destination} greeted with ${greeting.code} ${greeting.text}`);
      const lhlo = await client.command(`LHLO ${options.hostname}`);
      if (lhlo.code !== 250) throw new LmtpClientError(`LMTP ${client.destination} refused LHLO: ${lhlo.code} ${lhlo.text}`);
      client.capabilities = new Set(lhlo.lines.slice(1).map((line) => line.split(' ')[0]!.toUpperCase()));
      socket.setTimeout(options.timeoutMs);
      return client;
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  get usable(): boolean {
    return this.failure === null && !this.socket.destroyed;
  }

  /** Sends one command line and waits for its reply. */
  async command(line: string): Promise<LmtpServerReply> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Sends several command lines at once (RFC 2920 pipelining) and returns their replies in order. */
  async pipeline(lines: string[]): Promise<LmtpServerReply[]> {
    this.write(lines.map((line) => `${line}\r\n`).join(''));
    const replies: LmtpServerReply[] = [];
    for (let i = 0; i < lines.length; i++) replies.push(await this.reply());
    return replies;
  }

  /**
   * Writes message bytes (already dot-stuffed) with back-pressure. Returns
   * false as soon as `stop()` says so; throws when the connection fails. The
   * content stream is never destroyed here: the caller drains what is left.
   */
  async writeBody(content: Readable, stop: () => boolean): Promise<boolean> {
    for await (const chunk of content.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      if (this.failure) throw this.failure;
      if (stop()) return false;
      if (!this.socket.write(chunk)) await this.drained();
    }
    if (this.failure) throw this.failure;
    return true;
  }

  /** Ends DATA and reads one reply per accepted recipient (RFC 2033 §4.2). */
  async endData(acceptedRecipients: number): Promise<LmtpServerReply[]> {
    return this.pipelineRaw('.\r\n', acceptedRecipients);
  }

  async quit(): Promise<void> {
    if (!this.usable) return;
    try {
      this.write('QUIT\r\n');
      await this.reply();
    } catch {
      // The server closing first is fine.
    } finally {
      this.socket.end();
    }
  }

  /** Drops the connection: an unfinished DATA is discarded by the server (RFC 5321 §4.1.1.4). */
  abort(): void {
    this.fail(new LmtpClientError(`LMTP ${this.destination}: transaction aborted`));
    this.socket.destroy();
  }

  private async pipelineRaw(text: string, count: number): Promise<LmtpServerReply[]> {
    this.write(text);
    const replies: LmtpServerReply[] = [];
    for (let i = 0; i < count; i++) replies.push(await this.reply());
    return replies;
  }

  private write(text: string): void {
    if (this.failure) throw this.failure;
    this.socket.write(text, 'utf8');
  }

  private async drained(): Promise<void> {
    await Promise.race([once(this.socket, 'drain'), once(this.socket, 'close')]);
  }

  private reply(): Promise<LmtpServerReply> {
    const next = this.ready.shift();
    if (next) return Promise.resolve(next);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private receive(text: string): void {
    this.buffer += text;
    let lf = this.buffer.indexOf('\n');
    while (lf >= 0) {
      const line = this.buffer.slice(0, lf).replace(/\r$/, '');
      this.buffer = this.buffer.slice(lf + 1);
      this.line(line);
      lf = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > MAX_REPLY_LINE) {
      this.fail(new LmtpClientError(`LMTP ${this.destination}: reply line too long`));
      this.socket.destroy();
    }
  }

  private line(line: string): void {
    const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (!match) {
      this.fail(new LmtpClientError(`LMTP ${this.destination}: malformed reply ${JSON.stringify(line.slice(0, 80))}`));
      this.socket.destroy();
      return;
    }
    this.lines.push(match[3] ?? '');
    if (match[2] === '-') return;
    const lines = this.lines;
    this.lines = [];
    const first = ENHANCED.exec(lines[0] ?? '');
    const reply: LmtpServerReply = {
      code: Number(match[1]),
      enhanced: first ? first[1]! : null,
      text: lines.map((l) => l.replace(ENHANCED, '')).join(' '),
      lines,
    };
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(reply);
    else this.ready.push(reply);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const waiter of this.waiting.splice(0)) waiter.reject(err);
  }
}
