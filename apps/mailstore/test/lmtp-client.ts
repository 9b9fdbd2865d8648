// A small raw-socket LMTP client for the tests: it sends lines and reads replies as a client sees them.
import { connect, type Socket } from 'node:net';

export interface Reply {
  code: number;
  /** RFC 3463 enhanced status code of the last line, when there is one. */
  enhanced: string | null;
  /** Text of every line, without code and enhanced code. */
  lines: string[];
  /** The last line as received, e.g. `250 2.0.0 <a@example.com> Saved`. */
  raw: string;
}

export type Target = { host: string; port: number } | { path: string };

const LINE = /^(\d{3})([ -])(?:(\d\.\d{1,3}\.\d{1,3}) )?(.*)$/;

export class LmtpClient {
  private buffer = '';
  private readonly pendingLines: string[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let at: number;
      while ((at = this.buffer.indexOf('\r\n')) >= 0) {
        this.pendingLines.push(this.buffer.slice(0, at));
        this.buffer = this.buffer.slice(at + 2);
      }
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  /** Connects and reads the 220 greeting. */
  static async open(target: Target): Promise<{ client: LmtpClient; greeting: Reply }> {
    const socket = 'path' in target ? connect({ path: target.path }) : connect({ host: target.host, port: target.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new LmtpClient(socket);
    return { client, greeting: await client.read() };
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  private async nextLine(timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingLines.length === 0) {
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.pendingLines.shift() ?? null;
  }

  /** Reads one (possibly multi-line) reply; throws when the server closed instead. */
  async read(timeoutMs = 10_000): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.nextLine(timeoutMs);
      if (line === null) throw new Error(`connection closed${lines.length ? ` after ${lines.join(' | ')}` : ''}`);
      const match = LINE.exec(line);
      if (!match) throw new Error(`not a reply line: ${JSON.stringify(line)}`);
      lines.push(match[4] ?? '');
      if (match[2] === ' ') return { code: Number(match[1]), enhanced: match[3] ?? null, lines, raw: line };
    }
  }

  /** True once the server closed the connection (after reading what it sent). */
  async closedByServer(timeoutMs = 5_000): Promise<boolean> {
    const line = await this.nextLine(timeoutMs);
    if (line !== null) throw new Error(`expected the connection to close, got ${JSON.stringify(line)}`);
    return true;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.read();
  }

  async lhlo(name = 'mta.example.net'): Promise<Reply> {
    return this.command(`LHLO ${name}`);
  }

  /** MAIL, RCPT for each recipient, DATA and the message; one reply per accepted recipient after the dot. */
  async send(from: string, recipients: string[], message: string | Buffer, mailParams = ''): Promise<{ mail: Reply; rcpt: Reply[]; data: Reply[] }> {
    const mail = await this.command(`MAIL FROM:<${from}>${mailParams}`);
    const rcpt: Reply[] = [];
    for (const address of recipients) rcpt.push(await this.command(`RCPT TO:<${address}>`));
    const accepted = rcpt.filter((r) => r.code === 250).length;
    if (mail.code !== 250 || accepted === 0) {
      await this.command('RSET');
      return { mail, rcpt, data: [] };
    }
    const go = await this.command('DATA');
    if (go.code !== 354) throw new Error(`DATA refused: ${go.raw}`);
    this.write(dotStuff(message));
    const data: Reply[] = [];
    for (let i = 0; i < accepted; i++) data.push(await this.read());
    return { mail, rcpt, data };
  }

  async quit(): Promise<void> {
    if (!this.ended) {
      this.write('QUIT\r\n');
      await this.read().catch(() => undefined);
    }
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** RFC 5321 §4.5.2 transparency plus the final dot, with CRLF line ends. */
export function dotStuff(message: string | Buffer): Buffer {
  const text = Buffer.isBuffer(message) ? message.toString('utf8') : message;
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  return Buffer.from(`${lines.map((line) => (line.startsWith('.') ? `.${line}` : line)).join('\r\n')}\r\n.\r\n`, 'utf8');
}

/** A plain message with the given headers and body. */
export function sampleMessage(options: { subject?: string; messageId?: string; body?: string } = {}): string {
  return [
    'From: Sender <sender@remote.example>',
    'To: Alice <alice@example.com>',
    `Subject: ${options.subject ?? 'Hello'}`,
    `Message-ID: ${options.messageId ?? `<${Math.random().toString(36).slice(2)}@remote.example>`}`,
    'Date: Mon, 06 Jan 2025 10:00:00 +0000',
    '',
    options.body ?? 'Hello there.\r\n.A line starting with a dot.',
    '',
  ].join('\r\n');
}
