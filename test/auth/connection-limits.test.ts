// Connection limits that fit real users, over real sockets against `postern start`: IMAP and POP3
// per user and address after login (Dovecot's mail_max_userip_connections), a per-address cap on
// connections that have not logged in, SMTP per client address (Postfix's
// smtpd_client_connection_count_limit) with mynetworks exempt, and a cap per service.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { startInstance, type PosternInstance } from '../support/instance.js';

const PASSWORD = 'limits password';

/** A line-oriented client: the first line (greeting), then each reply up to a line matching `done`. */
class LineClient {
  private buffer = '';
  private waiter: (() => void) | null = null;
  readonly greeting: Promise<string>;
  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiter?.();
    });
    socket.on('close', () => this.waiter?.());
    socket.on('error', () => {});
    this.greeting = this.until(() => true);
  }

  static async open(port: number, localAddress = '127.0.0.1'): Promise<LineClient> {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new LineClient(socket);
  }

  /** Resolves with the first complete line for which `done` holds (lines before it are skipped). */
  until(done: (line: string) => boolean, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms; got ${JSON.stringify(this.buffer)}`)), timeoutMs);
      const check = (): void => {
        for (;;) {
          const end = this.buffer.indexOf('\r\n');
          if (end < 0) {
            if (this.socket.destroyed || this.socket.readableEnded) {
              clearTimeout(timer);
              this.waiter = null;
              resolve('(closed)');
            }
            return;
          }
          const line = this.buffer.slice(0, end);
          this.buffer = this.buffer.slice(end + 2);
          if (done(line)) {
            clearTimeout(timer);
            this.waiter = null;
            resolve(line);
            return;
          }
        }
      };
      this.waiter = check;
      check();
    });
  }

  command(line: string, done: (reply: string) => boolean): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.until(done);
  }

  close(): void {
    this.socket.destroy();
  }
}

const tagged = (tag: string) => (line: string) => line.startsWith(`${tag} `);
const popReply = (line: string) => line.startsWith('+OK') || line.startsWith('-ERR');

describe('connection limits (postern start, sqlite)', { timeout: 180_000 }, () => {
  let mail: PosternInstance<'smtp' | 'imap' | 'pop3' | 'lmtp'>;
  const clients: LineClient[] = [];
  const open = async (port: number, localAddress?: string): Promise<LineClient> => {
    const client = await LineClient.open(port, localAddress);
    clients.push(client);
    return client;
  };
  const closeAll = async (): Promise<void> => {
    for (const client of clients.splice(0)) client.close();
    // The server counts a session until its own close event.
    await new Promise((resolve) => setTimeout(resolve, 300));
  };
  const imapLogin = async (user: string, localAddress?: string): Promise<string> => {
    const imap = await open(mail.ports.imap, localAddress);
    await imap.greeting;
    return imap.command(`a LOGIN ${user} "${PASSWORD}"`, tagged('a'));
  };

  before(async () => {
    mail = await startInstance('sqlite', {
      listen: ['smtp', 'imap', 'pop3', 'lmtp'],
      settings: [
        ['imap.allow_cleartext_auth', 'true'],
        ['pop3.allow_cleartext_auth', 'true'],
        // 127.0.0.2 stands for the office's own network; 127.0.0.1 is an outside client.
        ['smtpd.mynetworks', '["127.0.0.2/32"]'],
        ['limits.max_connections_per_service', '70'],
      ],
    });
    for (const user of ['ann', 'ben', 'cat']) await mail.addUser(`${user}@example.com`, PASSWORD);
  });
  afterEach(closeAll);
  after(() => mail?.stop());

  it('logs in 25 IMAP connections from one address for 3 users (an office behind one NAT address)', async () => {
    const replies: string[] = [];
    for (let i = 0; i < 25; i++) replies.push(await imapLogin(`${['ann', 'ben', 'cat'][i % 3]}@example.com`));
    assert.deepEqual(replies.filter((reply) => !reply.startsWith('a OK')), []);
  });

  it('refuses the 11th IMAP login of one user from one address with NO [LIMIT], and takes it from another address', async () => {
    for (let i = 0; i < 10; i++) assert.match(await imapLogin('ann@example.com'), /^a OK/);
    const eleventh = await imapLogin('ann@example.com');
    assert.equal(eleventh, 'a NO [LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)');
    assert.match(await imapLogin('ben@example.com'), /^a OK/, 'another user from the same address');
    assert.match(await imapLogin('ann@example.com', '127.0.0.3'), /^a OK/, 'the same user from another address');
    await mail.waitForLog((line) => line.event === 'connection_limit' && line.limit === 'userip' && line.service === 'imap');
  });

  it('refuses the 11th POP3 login of one user from one address with -ERR [IN-USE]', async () => {
    const replies: string[] = [];
    for (let i = 0; i < 11; i++) {
      const pop = await open(mail.ports.pop3);
      await pop.greeting;
      await pop.command('USER cat@example.com', popReply);
      replies.push(await pop.command(`PASS ${PASSWORD}`, popReply));
    }
    assert.deepEqual(replies.slice(0, 10).filter((reply) => !reply.startsWith('+OK')), []);
    assert.equal(replies[10], '-ERR [IN-USE] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)');
  });

  it('caps connections that have not logged in at 20 per address (max_connections_per_ip), IMAP and POP3 together', async () => {
    for (let i = 0; i < 20; i++) assert.match(await (await open(mail.ports.imap)).greeting, /^\* OK/);
    const imap = await open(mail.ports.imap);
    assert.equal(await imap.greeting, '* BYE Too many connections from your address before login (max_connections_per_ip=20)');
    const pop = await open(mail.ports.pop3);
    assert.equal(await pop.greeting, '-ERR [SYS/TEMP] Too many connections from your address before login (max_connections_per_ip=20)', 'IMAP and POP3 share the count');
    assert.match(await imapLogin('ben@example.com', '127.0.0.3'), /^a OK/, 'another address is not affected');
  });

  it('takes 50 SMTP sessions from one client address and refuses the 51st with 421, but never counts mynetworks', async () => {
    for (let i = 0; i < 55; i++) assert.match(await (await open(mail.ports.smtp, '127.0.0.2')).greeting, /^220 /, `mynetworks session ${i + 1}`);
    await closeAll();
    for (let i = 0; i < 50; i++) assert.match(await (await open(mail.ports.smtp)).greeting, /^220 /, `session ${i + 1}`);
    const refused = await open(mail.ports.smtp);
    assert.equal(await refused.greeting, '421 4.7.0 mail.example.com Error: too many connections from 127.0.0.1');
  });

  it('refuses a connection over max_connections_per_service (70 here) from any address', async () => {
    for (let i = 0; i < 50; i++) assert.match(await (await open(mail.ports.smtp)).greeting, /^220 /);
    for (let i = 0; i < 20; i++) assert.match(await (await open(mail.ports.smtp, '127.0.0.2')).greeting, /^220 /);
    const over = await open(mail.ports.smtp, '127.0.0.4');
    assert.equal(await over.greeting, '421 4.3.2 mail.example.com Error: too many connections, try again later');
    assert.match(await imapLogin('cat@example.com', '127.0.0.4'), /^a OK/, 'each service has its own cap');
  });
});
