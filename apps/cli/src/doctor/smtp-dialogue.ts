import { connect, type Socket } from 'node:net';

/** One SMTP reply: its code and its lines' text joined (RFC 5321 §4.2: "code-text" lines, then "code text"). */
export interface SmtpReply {
  code: number;
  text: string;
}

/**
 * A minimal SMTP client session for the doctor's probes: one command at a
 * time, each reply read whole. It never sends DATA, so it carries no message.
 */
export class SmtpDialogue {
  private buffer = '';
  private lines: string[] = [];
  private waiting: (() => void) | null = null;
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket, private readonly timeoutMs: number) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, end).replace(/\r$/, ''));
        this.buffer = this.buffer.slice(end + 1);
      }
      this.wake();
    });
    socket.on('error', (err) => {
      this.failure = err;
      this.wake();
    });
    socket.on('close', () => {
      this.failure ??= new Error('the server closed the connection');
      this.wake();
    });
  }

  /** Connects from localAddress (when given) and reads the greeting. */
  static async open(target: { host: string; port: number; localAddress?: string }, timeoutMs: number): Promise<{ dialogue: SmtpDialogue; greeting: SmtpReply }> {
    const socket = connect({ host: target.host, port: target.port, localAddress: target.localAddress });
    const dialogue = new SmtpDialogue(socket, timeoutMs);
    try {
      return { dialogue, greeting: await dialogue.reply() };
    } catch (err) {
      dialogue.close();
      throw err;
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }

  /** The next whole reply: lines up to the one whose fourth character is a space (RFC 5321 §4.2.1). */
  private async reply(): Promise<SmtpReply> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const last = this.lines.findIndex((line) => !/^\d{3}-/.test(line));
      if (last >= 0) {
        const lines = this.lines.splice(0, last + 1);
        const code = Number(lines[last]!.slice(0, 3));
        if (!Number.isInteger(code) || code < 200 || code > 599) throw new Error(`not an SMTP reply: ${JSON.stringify(lines[last]!.slice(0, 80))}`);
        return { code, text: lines.map((line) => line.slice(4)).join(' ') };
      }
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${this.timeoutMs / 1000} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiting = null;
          resolve();
        }, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async command(line: string): Promise<SmtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** RFC 5321 §4.1.1.10: QUIT, then the connection is closed whatever the answer. */
  async quit(): Promise<void> {
    await this.command('QUIT').catch(() => undefined);
    this.close();
  }

  close(): void {
    this.socket.destroy();
  }
}
