import type { Logger } from '@postern/log';
import type { LineTransport } from './connection.js';

export interface SessionLimits {
  /** Unknown, malformed or misplaced commands and failed logins before the connection is closed. */
  maxBadCommands: number;
  /** Pipelined lines waiting for their turn before the server stops reading from the client. */
  maxQueuedLines: number;
}

/**
 * The order in which a line protocol session (POP3, ManageSieve) runs what the client
 * sent: one command at a time, pipelined ones queued (reading pauses when too many wait),
 * a continuation answer before any command, and a count of bad commands that ends the
 * connection. Subclasses give the protocol's replies and commands.
 */
export abstract class CommandQueue<Event, Code> {
  protected queue: Event[] = [];
  private running: Promise<void> | null = null;
  private continuation: ((event: Event) => Promise<void>) | null = null;
  private badCommands = 0;
  private closed = false;
  private inputPaused = false;

  constructor(
    readonly transport: LineTransport,
    readonly log: Logger,
    private readonly limits: SessionLimits,
    /** The service name in log lines. */
    private readonly protocolName: string,
  ) {}

  /** Queues lines from the client; they run one at a time, in order. */
  receive(events: Event[]): void {
    if (this.closed || events.length === 0) return;
    this.queue.push(...events);
    if (this.queue.length > this.limits.maxQueuedLines && !this.inputPaused) {
      this.inputPaused = true;
      this.transport.pauseInput();
    }
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
  }

  /** Resolves when no command is running (for a clean shutdown). */
  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** The connection went away: nothing more runs. */
  disconnected(): void {
    this.closed = true;
    this.queue = [];
  }

  /** Replies to a command the session cannot accept; too many of them end the connection. */
  async badCommand(text: string, code?: Code): Promise<void> {
    this.badCommands += 1;
    if (this.badCommands < this.limits.maxBadCommands) {
      await this.refuse(text, code);
      return;
    }
    this.log.warn({ event: 'too_many_errors', errors: this.badCommands }, `${this.protocolName} closing ${this.transport.clientIp} after ${this.badCommands} bad commands`);
    await this.refuseAndClose(`${text} (too many errors, closing the connection)`, code);
    this.close();
  }

  /** The next line is not a command but the client's answer to a SASL challenge. */
  expectContinuation(handler: (event: Event) => Promise<void>): void {
    this.continuation = handler;
  }

  /** Stops reading commands and ends the connection after the last reply. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.transport.end();
  }

  /** The protocol's negative reply to one bad command. */
  protected abstract refuse(text: string, code?: Code): Promise<void>;
  /** The protocol's last reply before it closes for too many bad commands. */
  protected abstract refuseAndClose(text: string, code?: Code): Promise<void>;
  /** The reply when a command threw (already logged). */
  protected abstract internalError(): Promise<void>;
  /** Runs one command event (not a continuation answer). */
  protected abstract command(event: Event): Promise<void>;

  private async drain(): Promise<void> {
    while (!this.closed) {
      const event = this.queue.shift();
      if (!event) break;
      if (this.inputPaused && this.queue.length <= this.limits.maxQueuedLines / 2) {
        this.inputPaused = false;
        this.transport.resumeInput();
      }
      try {
        await this.handle(event);
      } catch (error) {
        this.log.error({ event: 'command_error', err: error }, `${this.protocolName} command failed`);
        await this.internalError().catch(() => {});
      }
    }
  }

  private async handle(event: Event): Promise<void> {
    const continuation = this.continuation;
    if (continuation) {
      this.continuation = null;
      await continuation(event);
      return;
    }
    await this.command(event);
  }
}
