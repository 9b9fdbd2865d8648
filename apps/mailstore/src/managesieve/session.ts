import type { Logger } from '@postern/log';
import { SASL_TEXT, limitText, saslLogin, type SaslAttempt } from '@postern/service';
import { SIEVE_CAPABILITIES } from '@postern/sieve';
import type { User } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import { UserScripts } from '../sieve/scripts.js';
import { COMMANDS } from './commands.js';
import type { LineEvent } from './parser.js';
import { response, sieveString, type ResponseCode } from './responses.js';

/** What a session needs from its connection; the server provides it over node:net / node:tls. */
export interface ManageSieveTransport {
  readonly clientIp: string;
  /** True once the connection runs under TLS. */
  readonly secure: boolean;
  /** TLS is configured and the connection is still in plaintext. */
  readonly canStartTls: boolean;
  write(data: string): Promise<void>;
  /** RFC 5804 §2.2: starts the handshake after OK; pipelined plaintext is dropped; `onSecure` runs after it. */
  startTls(onSecure: () => void): void;
  pauseInput(): void;
  resumeInput(): void;
  admitLogin(user: string): boolean;
  end(): void;
}

export interface SessionLimits {
  maxBadCommands: number;
  maxQueuedLines: number;
}

/**
 * One ManageSieve conversation (RFC 5804): the non-authenticated and authenticated
 * states, commands run one at a time in order, the SASL exchange and replies. The
 * commands themselves live in commands.ts.
 */
export class ManageSieveSession {
  user: User | null = null;
  scripts: UserScripts | null = null;

  private queue: LineEvent[] = [];
  private running: Promise<void> | null = null;
  private continuation: ((event: LineEvent) => Promise<void>) | null = null;
  private badCommands = 0;
  private closed = false;
  private inputPaused = false;

  constructor(
    readonly ctx: MailstoreContext,
    readonly transport: ManageSieveTransport,
    readonly log: Logger,
    private readonly limits: SessionLimits,
  ) {}

  /** RFC 5804 §2.1 and §2.2: no plaintext credentials before TLS unless the config allows them (as IMAP). */
  get loginAllowed(): boolean {
    return this.transport.secure || this.ctx.config.managesieve.allow_cleartext_auth;
  }

  /** RFC 5804 §1.7: the capability lines, sent in the greeting, after STARTTLS and for CAPABILITY. */
  capabilities(): string {
    const lines = [
      `"IMPLEMENTATION" "Postern"`,
      `"SASL" ${sieveString(this.loginAllowed && !this.user ? 'PLAIN' : '')}`,
      `"SIEVE" ${sieveString(SIEVE_CAPABILITIES.join(' '))}`,
      ...(this.transport.canStartTls && !this.user ? ['"STARTTLS"'] : []),
      `"MAXREDIRECTS" ${sieveString(String(this.ctx.config.sieve.max_redirects))}`,
      ...(this.user ? [`"OWNER" ${sieveString(this.user.address)}`] : []),
      `"VERSION" "1.0"`,
    ];
    return lines.map((line) => `${line}\r\n`).join('');
  }

  receive(events: LineEvent[]): void {
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

  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
  }

  disconnected(): void {
    this.closed = true;
    this.queue = [];
  }

  async send(text: string): Promise<void> {
    await this.transport.write(text);
  }

  async ok(text?: string, code?: ResponseCode | { tag: string }): Promise<void> {
    await this.send(response('OK', text, code));
  }

  async no(text: string, code?: ResponseCode): Promise<void> {
    await this.send(response('NO', text, code));
  }

  /** A refused or malformed command; too many of them end the connection with BYE (RFC 5804 §1.2). */
  async badCommand(text: string, code?: ResponseCode): Promise<void> {
    this.badCommands += 1;
    if (this.badCommands < this.limits.maxBadCommands) {
      await this.no(text, code);
      return;
    }
    this.log.warn({ event: 'too_many_errors', errors: this.badCommands }, `managesieve closing ${this.transport.clientIp} after ${this.badCommands} bad commands`);
    await this.send(response('BYE', `${text} (too many errors, closing the connection)`));
    this.close();
  }

  /** The next line is the client's answer to a SASL challenge (RFC 5804 §2.1), not a command. */
  expectContinuation(handler: (event: LineEvent) => Promise<void>): void {
    this.continuation = handler;
  }

  /** Checks the login through the shared SASL path, guard and bans (as IMAP and POP3). */
  async authenticate(attempt: Pick<SaslAttempt, 'mechanism' | 'authzid' | 'username' | 'password'>): Promise<void> {
    const result = await saslLogin(
      { login: this.ctx.login, logger: this.log, localDomain: this.ctx.config.smtpd.sasl_local_domain },
      { ...attempt, service: 'managesieve', clientIp: this.transport.clientIp },
    );
    if (!result.ok) {
      if (result.reason === 'banned') {
        await this.send(response('BYE', SASL_TEXT.banned, 'TRYLATER'));
        this.close();
        return;
      }
      await this.badCommand(result.reason === 'authzid' ? SASL_TEXT.authzid : SASL_TEXT.failed);
      return;
    }
    if (!this.transport.admitLogin(result.user.address)) {
      const text = limitText('userip', this.ctx.config.limits);
      this.log.warn({ event: 'connection_limit', limit: 'userip', user: result.user.address }, `managesieve login ${result.user.address} refused: ${text}`);
      await this.no(text, 'TRYLATER');
      return;
    }
    this.user = result.user;
    this.scripts = new UserScripts(this.ctx.store, result.user.id, this.ctx.config.sieve);
    this.log.info({ event: 'login', user: result.user.address, mechanism: attempt.mechanism }, `managesieve login ${result.user.address}`);
    await this.ok('Logged in');
  }

  /** RFC 5804 §2.14: back to the non-authenticated state. */
  unauthenticate(): void {
    this.log.info({ event: 'logout', user: this.user?.address }, `managesieve unauthenticate ${this.user?.address}`);
    this.user = null;
    this.scripts = null;
  }

  /** RFC 5804 §2.2: OK, the handshake, then the capabilities again and OK; pipelined plaintext is dropped. */
  async startTls(): Promise<void> {
    await this.ok('Begin TLS negotiation now');
    this.queue = [];
    this.transport.startTls(() => {
      void this.send(`${this.capabilities()}${response('OK', 'TLS negotiation successful')}`);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.transport.end();
  }

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
        this.log.error({ event: 'command_error', err: error }, 'managesieve command failed');
        await this.no('Internal error; try again later', 'TRYLATER').catch(() => {});
      }
    }
  }

  private async handle(event: LineEvent): Promise<void> {
    const continuation = this.continuation;
    if (continuation) {
      this.continuation = null;
      await continuation(event);
      return;
    }
    if (event.kind === 'bad') {
      this.log.info({ event: 'bad_command', reason: event.reason, command: event.command }, `managesieve bad input: ${event.text}`);
      // RFC 5804 §2.6: a script over the size limit is QUOTA/MAXSIZE.
      const code = event.reason === 'literal-too-large' && (event.command === 'PUTSCRIPT' || event.command === 'CHECKSCRIPT') ? 'QUOTA/MAXSIZE' : undefined;
      await this.badCommand(event.text, code);
      return;
    }
    const [first, ...args] = event.args;
    if (first?.kind !== 'atom') {
      await this.badCommand('Expected a command name');
      return;
    }
    const name = first.value.toUpperCase();
    const command = COMMANDS.get(name);
    if (!command) {
      this.log.debug({ event: 'unknown_command', command: name.slice(0, 16) }, 'managesieve unknown command');
      await this.badCommand(`Unknown command ${name}`);
      return;
    }
    if (command.state === 'authenticated' && !this.user) {
      await this.badCommand(`${name} needs authentication first`);
      return;
    }
    if (command.state === 'non-authenticated' && this.user) {
      await this.badCommand(`${name} is not allowed after authentication`);
      return;
    }
    await command.run(this, args);
  }
}
