// A byte-exact line client for fuzzing: sends what it is given, collects what comes back, reports when the server goes quiet or hangs up.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export class RawClient {
  private text = '';
  private closedFlag = false;
  private changed: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
      this.changed?.();
    });
    socket.on('close', () => {
      this.closedFlag = true;
      this.changed?.();
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  /** Everything received so far (latin1, byte for byte). */
  get received(): string {
    return this.text;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  send(data: string | Buffer): void {
    if (!this.closedFlag) this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /**
   * Resolves once `done(received)` holds, the server hangs up, or nothing
   * arrives for `quietMs`; rejects after `timeoutMs` (a server that keeps
   * talking or stalls is a failure).
   */
  async settle(done: (received: string) => boolean, quietMs: number, timeoutMs: number): Promise<'done' | 'closed' | 'quiet'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (done(this.text)) return 'done';
      if (this.closedFlag) return 'closed';
      const before = this.text.length;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no end within ${timeoutMs} ms; last received: ${JSON.stringify(this.text.slice(-300))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, Math.min(quietMs, left));
        function finish(): void {
          clearTimeout(timer);
          resolve();
        }
        this.changed = finish;
      });
      this.changed = null;
      if (this.text.length === before && !this.closedFlag && !done(this.text) && Date.now() < deadline) return 'quiet';
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
