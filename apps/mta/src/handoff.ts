import type { Readable } from 'node:stream';
import { parseListenAddress, type ListenAddress, type PosternConfig } from '@postern/config';
import { ConfigError } from '@postern/config';
import { describeAddress } from '@postern/service';
import { LmtpClient, LmtpClientError, type LmtpServerReply } from './lmtp-client.js';
import { SmtpReply } from './replies.js';

/**
 * Postfix virtual_transport: "lmtp:HOST:PORT" or "lmtp:unix:/path"; unset,
 * the first listen.lmtp address (the mailstore of this installation).
 */
export function lmtpDestination(config: PosternConfig): ListenAddress {
  if (config.virtual_transport !== undefined) return parseListenAddress(config.virtual_transport.slice('lmtp:'.length), { allowUnix: true });
  const first = config.listen.lmtp[0];
  if (first === undefined) {
    throw new ConfigError('virtual_transport: missing (expected lmtp:HOST:PORT or lmtp:unix:/path when listen.lmtp is empty, so that the MTA knows where to deliver local mail)');
  }
  const address = parseListenAddress(first, { allowUnix: true });
  // A wildcard listen address is reached on loopback.
  if (address.kind === 'tcp' && (address.host === '0.0.0.0' || address.host === '::')) {
    return { ...address, host: address.host === '::' ? '::1' : '127.0.0.1' };
  }
  return address;
}

export interface HandoffEnvelope {
  sender: string;
  /** The RCPT addresses for LMTP: each local mailbox once (after alias expansion). */
  recipients: string[];
  smtputf8: boolean;
  eightBit: boolean;
}

/** What LMTP said for one recipient (at RCPT, or after the final dot). */
export interface RecipientResult {
  recipient: string;
  reply: LmtpServerReply;
}

// Postfix lmtp_connect_timeout is 0 (system default) and lmtp_data_done_timeout 600 s.
const REPLY_TIMEOUT_MS = 600_000;
// Postfix smtp_connection_cache_time_limit: an idle session is kept this long for the next message.
const IDLE_MS = 2_000;
const MAX_IDLE = 20;

/**
 * One open LMTP transaction: the envelope has been sent and accepted for
 * `accepted`; the caller streams the (dot-stuffed) content, then either
 * finishes (final dot, per-recipient replies) or aborts.
 */
export class HandoffTransaction {
  constructor(
    private readonly handoff: Handoff,
    private readonly client: LmtpClient,
    readonly accepted: string[],
    /** Recipients LMTP refused at RCPT, with its reply. */
    readonly refused: RecipientResult[],
  ) {}

  get relay(): string {
    return `lmtp[${this.client.destination}]`;
  }

  /** Streams the content; false when `stop()` ended it early (the caller then aborts). */
  write(content: Readable, stop: () => boolean): Promise<boolean> {
    return this.client.writeBody(content, stop);
  }

  /** The final dot: one reply per accepted recipient (RFC 2033 §4.2), then the session goes back to the pool. */
  async finish(): Promise<RecipientResult[]> {
    const replies = await this.client.endData(this.accepted.length);
    this.handoff.release(this.client);
    return this.accepted.map((recipient, i) => ({ recipient, reply: replies[i]! }));
  }

  abort(): void {
    this.client.abort();
  }
}

/** The LMTP delivery agent: opens (or reuses) sessions to one destination. */
export class Handoff {
  readonly destination: string;
  private readonly idle: { client: LmtpClient; timer: NodeJS.Timeout }[] = [];

  constructor(
    private readonly address: ListenAddress,
    private readonly hostname: string,
  ) {
    this.destination = describeAddress(address);
  }

  /**
   * MAIL, every RCPT and DATA, pipelined. Resolves with the open transaction
   * (even when LMTP refused some recipients), or null when it refused all.
   */
  async begin(envelope: HandoffEnvelope): Promise<{ transaction: HandoffTransaction | null; refused: RecipientResult[] }> {
    let client = this.takeIdle();
    try {
      return await this.envelope(client ?? (await this.open()), envelope);
    } catch (err) {
      // A cached session the server closed meanwhile: try once more on a fresh one.
      if (client === null || !(err instanceof LmtpClientError)) throw err;
      client = null;
      return this.envelope(await this.open(), envelope);
    }
  }

  release(client: LmtpClient): void {
    if (!client.usable || this.idle.length >= MAX_IDLE) {
      void client.quit();
      return;
    }
    const entry = {
      client,
      timer: setTimeout(() => {
        const i = this.idle.indexOf(entry);
        if (i >= 0) this.idle.splice(i, 1);
        void client.quit();
      }, IDLE_MS),
    };
    entry.timer.unref();
    this.idle.push(entry);
  }

  async close(): Promise<void> {
    const entries = this.idle.splice(0);
    await Promise.all(
      entries.map(({ client, timer }) => {
        clearTimeout(timer);
        return client.quit();
      }),
    );
  }

  private takeIdle(): LmtpClient | null {
    while (this.idle.length > 0) {
      const entry = this.idle.pop()!;
      clearTimeout(entry.timer);
      if (entry.client.usable) return entry.client;
    }
    return null;
  }

  private open(): Promise<LmtpClient> {
    return LmtpClient.open(this.address, { hostname: this.hostname, timeoutMs: REPLY_TIMEOUT_MS });
  }

  private async envelope(client: LmtpClient, envelope: HandoffEnvelope): Promise<{ transaction: HandoffTransaction | null; refused: RecipientResult[] }> {
    const params: string[] = [];
    if (envelope.eightBit && client.capabilities.has('8BITMIME')) params.push('BODY=8BITMIME');
    if (envelope.smtputf8 && client.capabilities.has('SMTPUTF8')) params.push('SMTPUTF8');
    const lines = [`MAIL FROM:<${envelope.sender}>${params.length > 0 ? ` ${params.join(' ')}` : ''}`, ...envelope.recipients.map((rcpt) => `RCPT TO:<${rcpt}>`), 'DATA'];
    const replies = await client.pipeline(lines);
    const mail = replies[0]!;
    const data = replies[replies.length - 1]!;
    const refused: RecipientResult[] = [];
    const accepted: string[] = [];
    envelope.recipients.forEach((recipient, i) => {
      const reply = mail.code === 250 ? replies[i + 1]! : mail;
      if (reply.code === 250) accepted.push(recipient);
      else refused.push({ recipient, reply });
    });
    if (mail.code !== 250 || accepted.length === 0 || data.code !== 354) {
      // Nothing to send: leave the server in a clean state for the next message.
      if (data.code === 354) client.abort();
      else this.resetAndRelease(client);
      if (accepted.length > 0) for (const recipient of accepted.splice(0)) refused.push({ recipient, reply: data });
      return { transaction: null, refused };
    }
    return { transaction: new HandoffTransaction(this, client, accepted, refused), refused };
  }

  private resetAndRelease(client: LmtpClient): void {
    client.command('RSET').then(
      (reply) => (reply.code === 250 ? this.release(client) : client.abort()),
      () => client.abort(),
    );
  }
}

/**
 * The one SMTP reply for the whole message from the per-recipient LMTP
 * results: 250 only when every local recipient got 250. A temporary failure
 * of any local recipient makes the client retry the whole message (451), and
 * nothing is queued for the remote ones: a local copy may arrive twice, but
 * none is lost.
 */
export function smtpReplyFor(results: RecipientResult[], queueId: string): { ok: true; message: string } | { ok: false; reply: SmtpReply } {
  const failed = results.filter((result) => result.reply.code !== 250);
  if (failed.length === 0) return { ok: true, message: `2.0.0 Ok: queued as ${queueId}` };
  const partial = failed.length < results.length ? ` (${results.length - failed.length} of ${results.length} recipients delivered)` : '';
  const temporary = failed.find((result) => result.reply.code < 500);
  if (temporary) {
    return { ok: false, reply: new SmtpReply(451, '4.3.0', `<${temporary.recipient}>: delivery deferred: ${describeReply(temporary.reply)}${partial}`) };
  }
  const first = failed[0]!;
  const code = first.reply.code >= 500 && first.reply.code < 600 ? first.reply.code : 554;
  return { ok: false, reply: new SmtpReply(code, first.reply.enhanced ?? '5.0.0', `<${first.recipient}>: delivery failed: ${describeReply(first.reply)}${partial}`) };
}

export function describeReply(reply: LmtpServerReply): string {
  return `${reply.code}${reply.enhanced ? ` ${reply.enhanced}` : ''} ${reply.text}`.slice(0, 300);
}
