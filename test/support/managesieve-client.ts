// A raw ManageSieve (RFC 5804) client over node:net/tls for tests: it writes exactly the
// bytes a test gives and reads responses literal-aware, so dialogues read as the RFC's examples.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** One complete server response: the lines before the final OK/NO/BYE (literals joined in), and that line. */
export interface SieveResponse {
  /** Data lines; a literal's content is one entry. */
  lines: string[];
  /** The final `OK …`, `NO …` or `BYE …` line. */
  status: string;
  /** OK, NO or BYE. */
  kind: 'OK' | 'NO' | 'BYE';
}

/** RFC 5804 §4: a string the client sends, as a non-synchronizing literal. */
export function literal(text: string): string {
  return `{${Buffer.byteLength(text, 'utf8')}+}\r\n${text}`;
}

/** SASL PLAIN (RFC 4616) response in base64. */
export function plain(username: string, password: string, authzid = ''): string {
  return Buffer.from(`${authzid}\0${username}\0${password}`, 'utf8').toString('base64');
}

export class ManageSieveClient {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private ended = false;

  private constructor(private socket: Socket) {
    this.attach(socket);
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<ManageSieveClient> {
    const socket = netConnect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new ManageSieveClient(socket);
  }

  get isClosed(): boolean {
    return this.ended;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends `line` + CRLF and reads the response. */
  async command(line: string, timeoutMs = 10_000): Promise<SieveResponse> {
    this.write(`${line}\r\n`);
    return this.response(timeoutMs);
  }

  /** The next line, without its CRLF. */
  async readLine(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lf = this.buffer.indexOf(0x0a);
      if (lf !== -1) {
        const line = this.buffer.subarray(0, lf).toString('utf8').replace(/\r$/, '');
        this.buffer = this.buffer.subarray(lf + 1);
        return line;
      }
      if (this.ended) throw new Error(`connection closed before a full line (had ${JSON.stringify(this.buffer.toString())})`);
      await this.waitForData(deadline);
    }
  }

  /** Reads up to and including the final OK/NO/BYE line; literals `{n}` are read whole. */
  async response(timeoutMs = 10_000): Promise<SieveResponse> {
    const deadline = Date.now() + timeoutMs;
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine(Math.max(1, deadline - Date.now()));
      const kind = /^(OK|NO|BYE)\b/i.exec(line)?.[1]?.toUpperCase() as SieveResponse['kind'] | undefined;
      if (kind) return { lines, status: line, kind };
      const size = /^\{(\d+)\+?\}$/.exec(line);
      if (size) {
        lines.push(await this.readBytes(Number(size[1]), deadline));
        continue;
      }
      lines.push(line);
    }
  }

  /** RFC 5804 §2.1 AUTHENTICATE "PLAIN" with the initial response on the command line. */
  async authenticate(username: string, password: string): Promise<SieveResponse> {
    return this.command(`AUTHENTICATE "PLAIN" "${plain(username, password)}"`);
  }

  /** RFC 5804 §2.2: STARTTLS, the handshake, then the re-issued capabilities and OK. */
  async startTls(pipelined = ''): Promise<{ reply: SieveResponse; capabilities: SieveResponse }> {
    this.write(`STARTTLS\r\n${pipelined}`);
    const reply = await this.response();
    if (reply.kind !== 'OK') return { reply, capabilities: reply };
    const secure = tlsConnect({ socket: this.socket, rejectUnauthorized: false, servername: 'mail.example.com' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.buffer = Buffer.alloc(0);
    this.socket = secure;
    this.attach(secure);
    return { reply, capabilities: await this.response() };
  }

  /** Waits for the server to close the connection. */
  async closed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) await this.waitForData(deadline);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private async readBytes(count: number, deadline: number): Promise<string> {
    while (this.buffer.length < count) {
      if (this.ended) throw new Error('connection closed inside a literal');
      await this.waitForData(deadline);
    }
    const bytes = this.buffer.subarray(0, count);
    this.buffer = this.buffer.subarray(count);
    return bytes.toString('utf8');
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (socket !== this.socket) return;
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private waitForData(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within the time limit (buffer ${JSON.stringify(this.buffer.toString().slice(0, 300))})`)), Math.max(0, deadline - Date.now()));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
