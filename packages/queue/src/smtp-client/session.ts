import { Capabilities } from './capabilities.js';
import { SmtpConnection, type ConnectOptions } from './connection.js';
import type { MessageContent } from '../message-content.js';
import { dotStuffedChunks } from './dot-stuffing.js';
import { SmtpClientError } from './errors.js';
import { formatReply, replyClass, type SmtpReply } from './reply.js';

export type Protocol = 'smtp' | 'lmtp';

export interface SessionOptions extends ConnectOptions {
  protocol: Protocol;
  /** smtp.timeout: the longest wait for any one reply or write. */
  replyTimeoutMs: number;
}

/** One mail transaction: parameters are already chosen from the server's capabilities. */
export interface Envelope {
  /** Postfix XFORWARD attributes ("IDENT=…") sent before MAIL FROM; empty: no XFORWARD command. */
  xforward: string[];
  from: string;
  mailParams: string[];
  recipients: { address: string; params: string[] }[];
  message: MessageContent;
}

/** The command a recipient's final reply answered (Postfix: "(in reply to RCPT TO command)"). */
export type ReplyStage = 'RCPT TO' | 'DATA' | 'end of DATA';

export interface RecipientReply {
  reply: SmtpReply;
  stage: ReplyStage;
}

export interface TransactionResult {
  /** The reply to MAIL FROM; null when the connection failed before it came. */
  mail: SmtpReply | null;
  /** Per recipient, in envelope order: its final reply, or null when undecided (MAIL refused, connection trouble). */
  recipients: (RecipientReply | null)[];
  /** Connection trouble that ended the transaction early. */
  failure: SmtpClientError | null;
  /** The final "." went out: with no reply to it, the message may have been delivered. */
  endOfDataSent: boolean;
  /** MAIL, RCPT and DATA went out in one write (RFC 2920). */
  pipelined: boolean;
}

const QUIT_TIMEOUT_MS = 5000;
// Postfix smtp_rset_timeout: a cached session that does not answer RSET soon is not worth waiting for.
const RSET_TIMEOUT_MS = 20_000;

/**
 * An SMTP (RFC 5321) or LMTP (RFC 2033) client session: greeting, EHLO/LHLO
 * (HELO fallback), STARTTLS, AUTH, one mail transaction, QUIT. It reports
 * the server's replies; what they mean for delivery is decided by the caller.
 */
export class SmtpSession {
  capabilities = new Capabilities();
  /** The verb the server accepted: EHLO, HELO or LHLO. */
  helloVerb: 'EHLO' | 'HELO' | 'LHLO' | null = null;
  /** When the connection was made (Postfix smtp_connection_reuse_time_limit counts from it). */
  readonly openedAt = Date.now();
  /** Mail transactions begun on this session (Postfix smtp_connection_reuse_count_limit). */
  transactions = 0;

  private constructor(
    readonly connection: SmtpConnection,
    readonly greeting: SmtpReply,
    readonly protocol: Protocol,
    private readonly replyTimeoutMs: number,
  ) {}

  /** Connects and reads the greeting, both within options.timeoutMs (Postfix smtp_connect_timeout + smtp_helo_timeout). */
  static async open(options: SessionOptions): Promise<SmtpSession> {
    const started = Date.now();
    const connection = await SmtpConnection.open(options);
    try {
      const left = Math.max(1, options.timeoutMs - (Date.now() - started));
      const greeting = await connection.read('receiving the initial server greeting', left);
      return new SmtpSession(connection, greeting, options.protocol, options.replyTimeoutMs);
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  get peer(): string {
    return this.connection.peer;
  }

  get secure(): boolean {
    return this.connection.secure;
  }

  /**
   * EHLO (LHLO for LMTP, RFC 2033 §4.1); an SMTP server that answers EHLO with
   * 5xx gets HELO (RFC 5321 §3.2). Returns the last reply; capabilities are
   * set from a 250 to EHLO/LHLO and empty after HELO.
   */
  async hello(name: string): Promise<SmtpReply> {
    const verb = this.protocol === 'lmtp' ? 'LHLO' : 'EHLO';
    const reply = await this.command(`${verb} ${name}`, `performing the ${verb} handshake`);
    this.capabilities = Capabilities.fromHello(replyClass(reply) === 2 ? reply : null);
    if (replyClass(reply) === 2) {
      this.helloVerb = verb;
      return reply;
    }
    if (this.protocol === 'lmtp' || replyClass(reply) !== 5) return reply;
    const helo = await this.command(`HELO ${name}`, 'performing the HELO handshake');
    if (replyClass(helo) === 2) this.helloVerb = 'HELO';
    return helo;
  }

  /**
   * RFC 3207: STARTTLS, and on 220 the TLS handshake (throws SmtpClientError
   * 'tls' when it fails). The caller says EHLO again: §4.2 voids what the
   * server said before.
   */
  async startTls(servername: string | null, ca?: Buffer): Promise<SmtpReply> {
    const reply = await this.command('STARTTLS', 'sending STARTTLS');
    if (reply.code !== 220) return reply;
    await this.connection.startTls(servername, this.replyTimeoutMs, ca);
    this.capabilities = new Capabilities();
    this.helloVerb = null;
    return reply;
  }

  /** RFC 4954: AUTH PLAIN (RFC 4616, with the initial response) or LOGIN. Returns the final reply (235 on success). */
  async authenticate(mechanism: 'PLAIN' | 'LOGIN', username: string, password: string): Promise<SmtpReply> {
    const stage = 'performing SASL authentication';
    if (mechanism === 'PLAIN') {
      const response = Buffer.from(`\0${username}\0${password}`, 'utf8').toString('base64');
      const reply = await this.command(`AUTH PLAIN ${response}`, stage);
      return reply.code === 334 ? this.cancelAuth(stage) : reply;
    }
    let reply = await this.command('AUTH LOGIN', stage);
    for (const value of [username, password]) {
      if (reply.code !== 334) return reply;
      reply = await this.command(Buffer.from(value, 'utf8').toString('base64'), stage);
    }
    return reply.code === 334 ? this.cancelAuth(stage) : reply;
  }

  /**
   * One mail transaction. With PIPELINING (RFC 2920 §3.1) MAIL, every RCPT and
   * DATA go in one write and the replies are read in order; otherwise one
   * command at a time. The body is dot-stuffed (RFC 5321 §4.5.2). LMTP gives
   * one reply after the "." per accepted recipient (RFC 2033 §4.2).
   * Connection trouble never throws: it ends the result early.
   */
  async send(envelope: Envelope): Promise<TransactionResult> {
    this.transactions++;
    const pipelined = this.capabilities.has('PIPELINING');
    const result: TransactionResult = { mail: null, recipients: envelope.recipients.map(() => null), failure: null, endOfDataSent: false, pipelined };
    const mailLine = ['MAIL FROM:<' + envelope.from + '>', ...envelope.mailParams].join(' ');
    const rcptLines = envelope.recipients.map(({ address, params }) => ['RCPT TO:<' + address + '>', ...params].join(' '));
    try {
      if (envelope.xforward.length > 0) {
        // Postfix XFORWARD_README: sent before MAIL, one round trip of its own, so that a refusal ends the
        // transaction before it starts. The server advertised it, so a refusal is a protocol error: a deferral.
        const reply = await this.command(['XFORWARD', ...envelope.xforward].join(' '), 'sending XFORWARD');
        if (replyClass(reply) !== 2) {
          result.failure = new SmtpClientError('protocol', `host ${this.peer} refused XFORWARD: ${formatReply(reply)}`);
          return result;
        }
      }
      let dataReply: SmtpReply | null = null;
      const accepted: number[] = [];
      if (pipelined) {
        await this.connection.write([mailLine, ...rcptLines, 'DATA'].map((line) => `${line}\r\n`).join(''), 'sending MAIL FROM', this.replyTimeoutMs);
        result.mail = await this.read('sending MAIL FROM');
        for (let i = 0; i < rcptLines.length; i++) {
          const reply = await this.read('sending RCPT TO');
          if (replyClass(result.mail) !== 2) continue;
          if (replyClass(reply) === 2) accepted.push(i);
          else result.recipients[i] = { reply, stage: 'RCPT TO' };
        }
        dataReply = await this.read('sending DATA command');
        // RFC 2920 §3.1: DATA answered 354 although no recipient was accepted: an empty message ends it.
        if (dataReply.code === 354 && accepted.length === 0) {
          await this.connection.write('.\r\n', 'sending end of data', this.replyTimeoutMs);
          await this.read('sending end of data');
          return result;
        }
        if (replyClass(result.mail) !== 2) return result;
      } else {
        result.mail = await this.command(mailLine, 'sending MAIL FROM');
        if (replyClass(result.mail) !== 2) return result;
        for (let i = 0; i < rcptLines.length; i++) {
          const reply = await this.command(rcptLines[i]!, 'sending RCPT TO');
          if (replyClass(reply) === 2) accepted.push(i);
          else result.recipients[i] = { reply, stage: 'RCPT TO' };
        }
        if (accepted.length === 0) return result;
        dataReply = await this.command('DATA', 'sending DATA command');
      }
      if (dataReply.code !== 354) {
        for (const i of accepted) result.recipients[i] = { reply: dataReply, stage: 'DATA' };
        return result;
      }
      await this.sendContent(envelope.message);
      await this.connection.write('.\r\n', 'sending message content', this.replyTimeoutMs);
      result.endOfDataSent = true;
      const stage = 'sending end of data -- message may be sent more than once';
      if (this.protocol === 'lmtp') {
        for (const i of accepted) result.recipients[i] = { reply: await this.read(stage), stage: 'end of DATA' };
      } else {
        const reply = await this.read(stage);
        for (const i of accepted) result.recipients[i] = { reply, stage: 'end of DATA' };
      }
      return result;
    } catch (error) {
      if (!(error instanceof SmtpClientError)) throw error;
      result.failure = error;
      return result;
    }
  }

  /**
   * RFC 5321 §4.1.1.5: RSET, which a reused session sends before its next MAIL
   * (§4.1.4) and which tells whether the server still has it, within Postfix's
   * smtp_rset_timeout. Throws SmtpClientError when the connection is gone.
   */
  async rset(): Promise<SmtpReply> {
    const wait = Math.min(this.replyTimeoutMs, RSET_TIMEOUT_MS);
    await this.connection.write('RSET\r\n', 'sending RSET', wait);
    return this.connection.read('sending RSET', wait);
  }

  /**
   * The message, dot-stuffed, read while it is sent. Should reading fail (a
   * store error) the connection is dropped: without the final "." the server
   * discards the partial message (RFC 5321 §4.1.1.4), and nothing else may be
   * written into the data.
   */
  private async sendContent(message: MessageContent): Promise<void> {
    const chunks = dotStuffedChunks(message.chunks());
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (error) {
        this.connection.destroy();
        throw error;
      }
      if (next.done === true) return;
      await this.connection.write(next.value, 'sending message content', this.replyTimeoutMs);
    }
  }

  /** QUIT politely, waiting a little for 221, then closes; never throws, never hangs. */
  async quit(): Promise<void> {
    try {
      if (this.connection.usable) {
        const wait = Math.min(this.replyTimeoutMs, QUIT_TIMEOUT_MS);
        await this.connection.write('QUIT\r\n', 'sending QUIT', wait);
        await this.connection.read('sending QUIT', wait);
      }
    } catch {
      // The server closing first, or not answering QUIT, changes nothing for delivery.
    } finally {
      this.connection.close();
    }
  }

  /** Drops the connection without QUIT (after a timeout or protocol error). */
  abort(): void {
    this.connection.destroy();
  }

  private async command(line: string, stage: string): Promise<SmtpReply> {
    await this.connection.write(`${line}\r\n`, stage, this.replyTimeoutMs);
    return this.read(stage);
  }

  private read(stage: string): Promise<SmtpReply> {
    return this.connection.read(stage, this.replyTimeoutMs);
  }

  /** RFC 4954 §4: "*" cancels an exchange the server wants to continue. */
  private async cancelAuth(stage: string): Promise<SmtpReply> {
    return this.command('*', stage);
  }
}
