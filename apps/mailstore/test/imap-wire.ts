// A raw IMAP connection for tests that assert exact protocol lines (tags, codes, untagged data).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface TaggedResult {
  /** Untagged and continuation lines received before the tagged line. */
  untagged: string[];
  /** The tagged completion line, e.g. `A1 OK [READ-WRITE] SELECT completed`. */
  tagged: string;
  status: 'OK' | 'NO' | 'BAD';
}

/**
 * Line-oriented IMAP client: literals in responses are folded into the line
 * that announced them (`{n}` followed by the n bytes), so a FETCH response is
 * one string.
 */
export class WireClient {
  private buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private waiters: (() => void)[] = [];
  private counter = 0;
  closed = false;

  private constructor(private socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  static async open(port: number, options: { tls?: boolean } = {}): Promise<WireClient> {
    const socket = options.tls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new WireClient(socket);
    await client.line(); // greeting
    return client;
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) return;
      let line = this.buffer.subarray(0, end).toString('binary');
      let consumed = end + 2;
      // Fold literals: `... {n}\r\n<n bytes>` continues the same response line.
      let literal = /\{(\d+)\}$/.exec(line);
      while (literal) {
        const size = Number(literal[1]);
        if (this.buffer.length < consumed + size) return;
        line += '\r\n' + this.buffer.subarray(consumed, consumed + size).toString('binary');
        consumed += size;
        const next = this.buffer.indexOf('\r\n', consumed);
        if (next < 0) return;
        line += this.buffer.subarray(consumed, next).toString('binary');
        consumed = next + 2;
        literal = /\{(\d+)\}$/.exec(line);
      }
      this.buffer = this.buffer.subarray(consumed);
      this.lines.push(line);
      this.wake();
    }
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** The next line from the server (throws when the connection closes first or after `timeoutMs`). */
  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a line');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.lines.shift()!;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends `TAG command` and collects everything up to its tagged response. */
  async command(command: string, options: { timeoutMs?: number; literal?: Buffer } = {}): Promise<TaggedResult> {
    const tag = `T${++this.counter}`;
    this.write(`${tag} ${command}\r\n`);
    const untagged: string[] = [];
    for (;;) {
      const line = await this.line(options.timeoutMs);
      if (line.startsWith('+') && options.literal) {
        this.write(Buffer.concat([options.literal, Buffer.from('\r\n')]));
        continue;
      }
      if (line.startsWith(`${tag} `)) {
        const status = line.slice(tag.length + 1).split(' ')[0] as TaggedResult['status'];
        return { untagged, tagged: line, status };
      }
      untagged.push(line);
    }
  }

  /**
   * Sends `TAG` and a command made of text and literals, then collects every line up to its tagged
   * response. Literals are non-synchronizing `{n+}` (RFC 7888), all in one write; with `synchronizing`
   * each `{n}` waits for the server's continuation request (RFC 3501 §7.5) before its octets go out.
   */
  async literalCommand(tag: string, parts: (string | Buffer)[], options: { synchronizing?: boolean; timeoutMs?: number } = {}): Promise<string[]> {
    const lines: string[] = [];
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!options.synchronizing) {
      const bytes = parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'binary') : Buffer.concat([Buffer.from(`{${part.length}+}\r\n`), part])));
      this.write(Buffer.concat([Buffer.from(`${tag} `), ...bytes, Buffer.from('\r\n')]));
    } else {
      let pending = `${tag} `;
      for (const part of parts) {
        if (typeof part === 'string') {
          pending += part;
          continue;
        }
        this.write(Buffer.from(`${pending}{${part.length}}\r\n`, 'binary'));
        pending = '';
        const line = await this.line(timeoutMs);
        lines.push(line);
        if (!line.startsWith('+')) return lines;
        this.write(part);
      }
      this.write(Buffer.from(`${pending}\r\n`, 'binary'));
    }
    for (;;) {
      const line = await this.line(timeoutMs);
      lines.push(line);
      if (line.startsWith(`${tag} `)) return lines;
    }
  }

  /** APPEND with a synchronizing literal. */
  append(mailbox: string, message: Buffer, extras = ''): Promise<TaggedResult> {
    return this.command(`APPEND ${mailbox}${extras ? ` ${extras}` : ''} {${message.length}}`, { literal: message });
  }

  /** RFC 3501 §6.2.1 STARTTLS, then the same client speaks over TLS. */
  async startTls(): Promise<TaggedResult> {
    const result = await this.command('STARTTLS');
    if (result.status !== 'OK') return result;
    await this.upgrade();
    return result;
  }

  /** The TLS handshake on the open connection (after the server said OK to STARTTLS). */
  async upgrade(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * NOOP until an untagged line matches: a change made elsewhere reaches a
 * session at one of its next commands (RFC 3501 §7), not always the first.
 * Returns every untagged line seen on the way.
 */
export async function noopUntil(wire: WireClient, pattern: RegExp, tries = 40): Promise<string[]> {
  let seen: string[] = [];
  for (let i = 0; i < tries; i++) {
    const { untagged } = await wire.command('NOOP');
    seen = seen.concat(untagged);
    if (untagged.some((line) => pattern.test(line))) return seen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${pattern} after ${tries} NOOPs: ${seen.join(' | ')}`);
}
