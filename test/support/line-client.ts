// The socket half of a raw line-protocol test client (POP3, ManageSieve): it writes exactly
// the bytes a test gives, buffers what the server sends, reads it line by line with a
// deadline, and upgrades to TLS over the same connection (STLS, STARTTLS).
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

export abstract class LineClient {
  protected buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  protected ended = false;

  protected constructor(
    protected socket: Socket,
    /** How long readLine waits when the caller gives no limit. */
    private readonly defaultTimeoutMs: number,
  ) {
    this.attach(socket);
  }

  get isClosed(): boolean {
    return this.ended;
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next line, without its CRLF. */
  async readLine(timeoutMs = this.defaultTimeoutMs): Promise<string> {
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

  destroy(): void {
    this.socket.destroy();
  }

  /** Runs once when the server (or the test) closes the connection. */
  protected onEnd(): void {}

  /** The TLS handshake over the open connection, after the server's positive reply to STLS/STARTTLS. */
  protected async upgradeTls(options: ConnectionOptions = {}): Promise<void> {
    const secure = tlsConnect({ ...options, socket: this.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.buffer = Buffer.alloc(0);
    this.socket = secure;
    this.attach(secure);
  }

  protected waitForData(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within the time limit (buffer ${JSON.stringify(this.buffer.toString().slice(0, 300))})`)), Math.max(0, deadline - Date.now()));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      // After the upgrade the plain socket's bytes are TLS records: only the active socket feeds the buffer.
      if (socket !== this.socket) return;
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.ended) return;
      this.ended = true;
      this.wake();
      this.onEnd();
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
