import type { Logger } from '@postern/log';
import { SASL_TEXT, limitText, saslLogin, type SaslAttempt } from '@postern/service';
import { SIEVE_CAPABILITIES } from '@postern/sieve';
import type { User } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import { CommandQueue, type SessionLimits } from '../line-protocol/command-queue.js';
import type { LineTransport } from '../line-protocol/connection.js';
import { UserScripts } from '../sieve/scripts.js';
import { COMMANDS } from './commands.js';
import type { LineEvent } from './parser.js';
import { response, sieveString, type ResponseCode } from './responses.js';

/**
 * One ManageSieve conversation (RFC 5804): the non-authenticated and authenticated
 * states, commands run one at a time in order, the SASL exchange and replies. The
 * commands themselves live in commands.ts.
 */
export class ManageSieveSession extends CommandQueue<LineEvent, ResponseCode> {
  user: User | null = null;
  scripts: UserScripts | null = null;

  constructor(
    readonly ctx: MailstoreContext,
    transport: LineTransport,
    log: Logger,
    limits: SessionLimits,
  ) {
    super(transport, log, limits, 'managesieve');
  }

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

  async send(text: string): Promise<void> {
    await this.transport.write(text);
  }

  async ok(text?: string, code?: ResponseCode | { tag: string }): Promise<void> {
    await this.send(response('OK', text, code));
  }

  async no(text: string, code?: ResponseCode): Promise<void> {
    await this.send(response('NO', text, code));
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
    if (!(await this.transport.admitLogin(result.user.address))) {
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

  protected refuse(text: string, code?: ResponseCode): Promise<void> {
    return this.no(text, code);
  }

  /** Too many bad commands end the connection with BYE (RFC 5804 §1.2). */
  protected refuseAndClose(text: string): Promise<void> {
    return this.send(response('BYE', text));
  }

  protected internalError(): Promise<void> {
    return this.no('Internal error; try again later', 'TRYLATER');
  }

  protected async command(event: LineEvent): Promise<void> {
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
