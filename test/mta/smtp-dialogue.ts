import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** One server reply as a client sees it. */
export interface Reply {
  code: number;
  /** Every line without the "250-" prefix. */
  lines: string[];
  /** The first line in full, e.g. "550 5.1.1 <x@y>: Recipient address rejected: …". */
  line: string;
}

/**
 * A bare SMTP client for probing the server byte by byte: it sends exactly
 * what it is given (so tests can pipeline, send bare LFs or smuggle) and
 * reads replies in order.
 */
export class SmtpDialogue {
  private buffer = '';
  private pending: string[] = [];
  private readonly replies: Reply[] = [];
  private waiters: { resolve: (reply: Reply) => void; reject: (err: Error) => void }[] = [];
  private ended = false;
  readonly closed: Promise<void>;
  greeting!: Reply;

  private constructor(private socket: Socket | TLSSocket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.listen(socket);
  }

  static async open(port: number, options: { localAddress?: string; implicitTls?: boolean; greeting?: boolean } = {}): Promise<SmtpDialogue> {
    const socket = options.implicitTls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(options.localAddress ? { localAddress: options.localAddress } : {}) })
      : netConnect({ host: '127.0.0.1', port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    await once(socket, options.implicitTls ? 'secureConnect' : 'connect');
    const dialogue = new SmtpDialogue(socket);
    if (options.greeting !== false) dialogue.greeting = await dialogue.reply();
    return dialogue;
  }

  get tls(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply> {
    this.send(`${line}\r\n`);
    return this.reply();
  }

  reply(timeoutMs = 10_000): Promise<Reply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.ended) return Promise.reject(new Error(`connection closed; unparsed: ${JSON.stringify(this.buffer)}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  /** Replies that arrive within `ms` (none expected: returns []). */
  async quietFor(ms: number): Promise<Reply[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.replies.splice(0);
  }

  /** RFC 3207: after "220 Ready", the TLS handshake on the same socket. */
  async startTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: 'mail.example.com' });
    await once(secure, 'secureConnect');
    this.socket = secure;
    this.listen(secure);
  }

  async ehlo(name = 'client.example.org'): Promise<Reply> {
    return this.command(`EHLO ${name}`);
  }

  close(): void {
    this.socket.destroy();
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.receive(text));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.ended = true;
      for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`connection closed; unparsed: ${JSON.stringify(this.buffer)}`));
    });
  }

  private receive(text: string): void {
    this.buffer += text;
    let lf = this.buffer.indexOf('\n');
    while (lf >= 0) {
      const line = this.buffer.slice(0, lf).replace(/\r$/, '');
      this.buffer = this.buffer.slice(lf + 1);
      this.pending.push(line);
      if (/^\d{3}(?: |$)/.test(line)) {
        const lines = this.pending;
        this.pending = [];
        const reply: Reply = { code: Number(line.slice(0, 3)), lines: lines.map((l) => l.slice(4)), line: lines[0] ?? line };
        const waiter = this.waiters.shift();
        if (waiter) waiter.resolve(reply);
        else this.replies.push(reply);
      }
      lf = this.buffer.indexOf('\n');
    }
  }
}

/** A small RFC 5322 message with CRLF line endings. */
export function message(subject: string, body = 'Hello from the MTA tests.', headers: Record<string, string> = {}): string {
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `From: sender@example.org\r\nTo: alice@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n${extra}\r\n${body}\r\n`;
}

/** MAIL, RCPTs, DATA, the message (dot-stuffed), the final dot: the reply to the final dot. */
export async function sendMail(dialogue: SmtpDialogue, from: string, to: string[], content: string): Promise<Reply> {
  const mail = await dialogue.command(`MAIL FROM:<${from}>`);
  if (mail.code !== 250) return mail;
  let accepted = 0;
  let last: Reply = mail;
  for (const rcpt of to) {
    last = await dialogue.command(`RCPT TO:<${rcpt}>`);
    if (last.code === 250) accepted++;
  }
  if (accepted === 0) {
    await dialogue.command('RSET');
    return last;
  }
  const data = await dialogue.command('DATA');
  if (data.code !== 354) return data;
  dialogue.send(`${content.replace(/\r\n\./g, '\r\n..').replace(/^\./, '..')}.\r\n`);
  return dialogue.reply();
}
