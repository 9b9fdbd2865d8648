import type { Logger } from '@postern/log';
import { SASL_TEXT, limitText, saslLogin, type SaslAttempt } from '@postern/service';
import type { User } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import { CommandQueue, type SessionLimits } from '../line-protocol/command-queue.js';
import type { LineTransport } from '../line-protocol/connection.js';
import { COMMANDS } from './commands.js';
import type { LineEvent } from './lines.js';
import { Maildrop } from './maildrop.js';
import { encodeMultiline } from './multiline.js';

/** RFC 1939 §3: the states of a POP3 session. */
export type Pop3State = 'authorization' | 'transaction' | 'update';

/** RFC 2449 §8 and RFC 3206: extended response codes a -ERR may carry. */
export type ResponseCode = 'AUTH' | 'SYS/TEMP' | 'SYS/PERM' | 'IN-USE' | 'LOGIN-DELAY';

/**
 * One POP3 conversation: its state machine (AUTHORIZATION → TRANSACTION →
 * UPDATE, RFC 1939 §3), the order in which pipelined commands run (RFC 2449
 * §6.6), logins and replies. Command semantics live in commands.ts. A lost
 * connection leaves the maildrop as it was (RFC 1939 §6: no UPDATE).
 */
export class Pop3Session extends CommandQueue<LineEvent, ResponseCode> {
  state: Pop3State = 'authorization';
  user: User | null = null;
  maildrop: Maildrop | null = null;
  /** The name given by USER, waiting for PASS. */
  pendingUser: string | null = null;

  constructor(
    readonly ctx: MailstoreContext,
    transport: LineTransport,
    log: Logger,
    limits: SessionLimits,
  ) {
    super(transport, log, limits, 'pop3');
  }

  /** RFC 1939 §4 and §6 allow USER/PASS and AUTH only under TLS unless the config allows cleartext. */
  get loginAllowed(): boolean {
    return this.transport.secure || this.ctx.config.pop3.allow_cleartext_auth;
  }

  async ok(text = ''): Promise<void> {
    await this.transport.write(text === '' ? '+OK\r\n' : `+OK ${text}\r\n`);
  }

  async err(text: string, code?: ResponseCode): Promise<void> {
    await this.transport.write(`-ERR ${code ? `[${code}] ` : ''}${text}\r\n`);
  }

  /** "+OK first" followed by a multi-line body (already encoded with encodeMultiline). */
  async multiline(first: string, encodedBody: Buffer): Promise<void> {
    await this.transport.write(Buffer.concat([Buffer.from(`+OK ${first}\r\n`), encodedBody]));
  }

  async multilineText(first: string, lines: string[]): Promise<void> {
    await this.multiline(first, encodeMultiline(Buffer.from(lines.map((line) => `${line}\r\n`).join(''))));
  }

  /** Checks the login, then opens the INBOX snapshot and enters TRANSACTION (RFC 1939 §4). */
  async authenticate(attempt: Pick<SaslAttempt, 'mechanism' | 'authzid' | 'username' | 'password'>): Promise<void> {
    const { mechanism } = attempt;
    const result = await saslLogin(
      { login: this.ctx.login, logger: this.log, localDomain: this.ctx.config.smtpd.sasl_local_domain },
      { ...attempt, service: 'pop3', clientIp: this.transport.clientIp },
    );
    if (!result.ok) {
      if (result.reason === 'banned') {
        await this.err(SASL_TEXT.banned, 'SYS/TEMP');
        this.close();
        return;
      }
      // RFC 3206 §4: [AUTH] for credentials refused, the authzid among them.
      await this.badCommand(result.reason === 'authzid' ? SASL_TEXT.authzid : SASL_TEXT.failed, 'AUTH');
      return;
    }
    if (!(await this.transport.admitLogin(result.user.address))) {
      const text = limitText('userip', this.ctx.config.limits);
      this.log.warn({ event: 'connection_limit', limit: 'userip', user: result.user.address }, `pop3 login ${result.user.address} refused: ${text}`);
      // RFC 2449 §8.1.1 IN-USE: the maildrop is already in use (by as many sessions as are allowed).
      await this.err(text, 'IN-USE');
      return;
    }
    let maildrop: Maildrop;
    try {
      maildrop = await Maildrop.open(this.ctx.store, result.user);
    } catch (error) {
      this.log.error({ event: 'maildrop_error', user: result.user.address, err: error }, `pop3 cannot open INBOX of ${result.user.address}`);
      // RFC 1939 §7 PASS: the maildrop cannot be opened, so the session stays in AUTHORIZATION.
      await this.err('Unable to open the mailbox; try again later', 'SYS/TEMP');
      return;
    }
    this.user = result.user;
    this.maildrop = maildrop;
    this.state = 'transaction';
    const { count, octets } = maildrop.stat();
    this.log.info({ event: 'login', user: result.user.address, mechanism, messages: count, octets }, `pop3 login ${result.user.address}: ${count} messages`);
    await this.ok(`Logged in, ${count} messages (${octets} octets)`);
  }

  /** RFC 2595 §4: after "+OK" the client starts TLS; pipelined plaintext is discarded. */
  async startTls(): Promise<void> {
    await this.ok('Begin TLS negotiation');
    this.queue = [];
    this.pendingUser = null;
    this.transport.startTls();
  }

  /** RFC 1939 §6: QUIT from TRANSACTION enters UPDATE and removes the messages marked deleted. */
  async quit(): Promise<void> {
    if (this.state !== 'transaction' || !this.maildrop) {
      await this.ok('Logging out');
      this.close();
      return;
    }
    this.state = 'update';
    try {
      const removed = await this.maildrop.commit();
      const left = this.maildrop.stat().count;
      this.log.info({ event: 'logout', user: this.user?.address, deleted: removed, left }, `pop3 logout ${this.user?.address}: ${removed} deleted, ${left} left`);
      await this.ok(`Logging out, ${removed} messages deleted, ${left} left`);
    } catch (error) {
      this.log.error({ event: 'update_error', user: this.user?.address, err: error }, 'pop3 could not remove the deleted messages');
      await this.err('Some deleted messages were not removed; try again', 'SYS/TEMP');
    }
    this.close();
  }

  protected refuse(text: string, code?: ResponseCode): Promise<void> {
    return this.err(text, code);
  }

  protected refuseAndClose(text: string, code?: ResponseCode): Promise<void> {
    return this.err(text, code);
  }

  protected internalError(): Promise<void> {
    return this.err('Internal error; try again later', 'SYS/TEMP');
  }

  protected async command(event: LineEvent): Promise<void> {
    // RFC 2449 §4: commands are at most 255 octets; we allow more, but never an unbounded line.
    if (event.kind === 'overlong') {
      await this.badCommand('Line too long');
      return;
    }
    const space = event.text.indexOf(' ');
    const name = (space === -1 ? event.text : event.text.slice(0, space)).toUpperCase();
    const rest = space === -1 ? '' : event.text.slice(space + 1);
    const command = COMMANDS.get(name);
    if (!command) {
      // Keep the session: fetchmail probes with LAST (RFC 1460), others with XTND, APOP...
      this.log.debug({ event: 'unknown_command', command: name.slice(0, 16) }, 'pop3 unknown command');
      // Echo only a plain keyword: the reply must never carry bytes the client chose.
      await this.badCommand(/^[A-Z0-9]{1,16}$/.test(name) ? `Unknown command ${name}` : 'Unknown command');
      return;
    }
    if (!command.states.includes(this.state)) {
      await this.badCommand(`${name} is not allowed in the ${this.state.toUpperCase()} state`);
      return;
    }
    await command.run(this, rest === '' ? [] : rest.split(/ +/), rest);
  }
}
