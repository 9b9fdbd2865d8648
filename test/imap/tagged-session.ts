// A raw IMAP session as a mail client drives it: one tagged command at a time over STARTTLS, the reply
// read with its literals counted (RFC 3501 §4.3), and APPEND's literal sent after the server's "+"
// continuation (RFC 3501 §7.5). Lean on purpose: benchmarks time the server, not the client.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface TaggedReply {
  /** OK, NO or BAD. */
  status: string;
  /** The untagged lines and the tagged line, literals left out. */
  lines: string[];
}

export class TaggedSession {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes of a literal still to skip before the next line. */
  private literalLeft = 0;
  private lines: string[] = [];
  private waiting: { tag: string | null; resolve: (reply: TaggedReply) => void; reject: (error: Error) => void } | null = null;
  private n = 0;
  /** Bytes received so far (greeting and replies, literals included). */
  received = 0;

  private constructor(private socket: Socket | TLSSocket) {
    this.listen(socket);
  }

  /** Connects, reads the greeting and, with `starttls`, upgrades the connection (RFC 3501 §6.2.1). */
  static async open(port: number, starttls: boolean): Promise<TaggedSession> {
    const plain = netConnect({ host: '127.0.0.1', port });
    const session = new TaggedSession(plain);
    await session.next(null);
    if (!starttls) return session;
    const answer = await session.command('STARTTLS');
    if (answer.status !== 'OK') throw new Error(`STARTTLS refused: ${answer.lines.join(' | ')}`);
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    session.socket = secure;
    session.listen(secure);
    return session;
  }

  /** Sends `command` and resolves with its tagged reply. */
  command(command: string): Promise<TaggedReply> {
    const tag = `T${++this.n}`;
    const reply = this.next(tag);
    this.socket.write(`${tag} ${command}\r\n`);
    return reply;
  }

  /** APPEND with a synchronizing literal: waits for the continuation before sending the message. */
  async append(mailbox: string, message: Buffer, flags = ''): Promise<TaggedReply> {
    const tag = `T${++this.n}`;
    const continuation = this.next(null);
    this.socket.write(`${tag} APPEND ${mailbox}${flags ? ` (${flags})` : ''} {${message.length}}\r\n`);
    const go = await continuation;
    if (!go.lines.at(-1)?.startsWith('+')) return go;
    const reply = this.next(tag);
    this.socket.write(Buffer.concat([message, Buffer.from('\r\n')]));
    return reply;
  }

  /** Writes a line without waiting (e.g. IDLE, whose answer never comes while idle). */
  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  close(): void {
    this.socket.destroy();
  }

  /** Resolves at the tagged line for `tag`, or (tag null) at the greeting, or at a continuation or tagged line. */
  private next(tag: string | null): Promise<TaggedReply> {
    return new Promise((resolve, reject) => {
      this.waiting = { tag, resolve, reject };
    });
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.consume();
    });
    socket.on('error', (error) => this.waiting?.reject(error));
    // A server that closes the connection answers no waiting command: fail it rather than wait forever.
    socket.on('close', () => {
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(new Error(`connection closed while waiting for ${waiting.tag ?? 'the server'}; last lines: ${this.lines.slice(-3).join(' | ')}`));
    });
  }

  private consume(): void {
    for (;;) {
      if (this.literalLeft > 0) {
        const skipped = Math.min(this.literalLeft, this.buffer.length);
        this.buffer = this.buffer.subarray(skipped);
        this.literalLeft -= skipped;
        if (this.literalLeft > 0) return;
      }
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) return;
      const line = this.buffer.subarray(0, end).toString('latin1');
      this.buffer = this.buffer.subarray(end + 2);
      const literal = /\{(\d+)\}$/.exec(line);
      if (literal) this.literalLeft = Number(literal[1]);
      this.lines.push(line);
      const waiting = this.waiting;
      if (!waiting || literal) continue;
      // Untagged lines (e.g. an unsolicited EXISTS) may come before the continuation of an APPEND.
      const done = waiting.tag === null ? this.n === 0 || line.startsWith('+') || line.startsWith('T') : line.startsWith(`${waiting.tag} `);
      if (!done) continue;
      const lines = this.lines;
      this.lines = [];
      this.waiting = null;
      const status = line.split(' ')[1] ?? '';
      waiting.resolve({ status, lines });
    }
  }
}
