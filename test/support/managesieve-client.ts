// A raw ManageSieve (RFC 5804) client over node:net/tls for tests: it writes exactly the
// bytes a test gives and reads responses literal-aware, so dialogues read as the RFC's examples.
import { connect as netConnect, type Socket } from 'node:net';
import { LineClient } from './line-client.js';

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

export class ManageSieveClient extends LineClient {
  private constructor(socket: Socket) {
    super(socket, 10_000);
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<ManageSieveClient> {
    const socket = netConnect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new ManageSieveClient(socket);
  }

  /** Sends `line` + CRLF and reads the response. */
  async command(line: string, timeoutMs = 10_000): Promise<SieveResponse> {
    this.write(`${line}\r\n`);
    return this.response(timeoutMs);
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
    await this.upgradeTls({ servername: 'mail.example.com' });
    return { reply, capabilities: await this.response() };
  }

  /** Waits for the server to close the connection. */
  async closed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) await this.waitForData(deadline);
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
}
