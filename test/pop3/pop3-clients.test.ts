// Real POP3 clients — Python's poplib and fetchmail — against `postern mailstore`
// on both store backends, with the self-signed certificate from `postern init`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { User } from '@postern/store';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { requireTool } from '../support/tools.js';
import { poplib } from './poplib.js';

const PASSWORD = 'pop3 test password';

function testMessage(subject: string, body = 'Hello from the POP3 tests.\r\n'): string {
  return `From: sender@example.org\r\nTo: reader@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\n${body}`;
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`POP3 clients against postern mailstore on ${backend}`, () => {
    let pop: PosternInstance<'pop3' | 'pop3s'>;
    let userCount = 0;
    before(async () => {
      pop = await startInstance(backend, { listen: ['pop3', 'pop3s'], roles: ['mailstore'] });
      console.log(`pop3 client tests: ${backend} — ${pop.instance.server}`);
    });
    after(() => pop?.stop());

    /** A fresh user with these messages in the INBOX. */
    const mailbox = async (...subjects: string[]) => {
      userCount += 1;
      const address = `reader${userCount}@example.com`;
      const user = await pop.addUser(address, PASSWORD);
      for (const subject of subjects) await pop.deliver(user, testMessage(subject, `.a line starting with a dot (${subject})\r\nsecond line\r\nthird line\r\n`));
      return { user, address };
    };

    /** The subjects left in the user's INBOX, oldest first. */
    const inboxSubjects = async (user: User) => (await pop.inbox(user.address)).map((message) => message.record.headers.subject ?? '');

    it('poplib over STLS: USER/PASS, STAT, LIST, UIDL, TOP, RETR, and DELE applied at QUIT', async (t) => {
      if (!requireTool(t, 'python3', 'python3')) return;
      const { user, address } = await mailbox('first', 'second', 'third');
      const out = await poplib<{
        capa: string[];
        welcome: string;
        stat: [number, number];
        list: string[];
        uidl: string[];
        top: string[];
        retr: string[];
        statAfterDele: [number, number];
        retrDeleted: string;
        quit: string;
      }>(
        `
pop = poplib.POP3('127.0.0.1', args['port'], timeout=10)
out['welcome'] = pop.getwelcome().decode()
pop.stls(context=tls)
out['capa'] = sorted(pop.capa().keys())
pop.user(args['user'])
pop.pass_(args['password'])
out['stat'] = list(pop.stat())
out['list'] = text(pop.list()[1])
out['uidl'] = text(pop.uidl()[1])
out['top'] = text(pop.top(2, 1)[1])
out['retr'] = text(pop.retr(3)[1])
pop.dele(2)
out['statAfterDele'] = list(pop.stat())
out['retrDeleted'] = error_of(lambda: pop.retr(2))
out['quit'] = pop.quit().decode()
`,
        { port: pop.ports.pop3, user: address, password: PASSWORD },
      );
      assert.match(out.welcome, /^\+OK/);
      for (const capability of ['USER', 'UIDL', 'TOP', 'SASL']) assert.ok(out.capa.includes(capability), capability);
      assert.equal(out.stat[0], 3);
      assert.equal(out.list.length, 3);
      const uids = out.uidl.map((line) => line.split(' ')[1]);
      assert.equal(new Set(uids).size, 3, 'UIDL values are unique');
      // poplib removes the byte-stuffing: the client sees the message's own lines.
      assert.deepEqual(out.top.slice(-2), ['', '.a line starting with a dot (second)']);
      assert.ok(out.retr.includes('Subject: third'));
      assert.deepEqual(out.retr.slice(-3), ['.a line starting with a dot (third)', 'second line', 'third line']);
      assert.equal(out.statAfterDele[0], 2);
      assert.match(out.retrDeleted, /^-ERR/);
      assert.match(out.quit, /^\+OK/);
      assert.deepEqual(await inboxSubjects(user), ['first', 'third']);
    });

    it('poplib: RSET undoes DELE, and a dropped connection deletes nothing', async (t) => {
      if (!requireTool(t, 'python3', 'python3')) return;
      const { user, address } = await mailbox('keep one', 'keep two');
      const out = await poplib(
        `
pop = stls_session()
pop.user(args['user']); pop.pass_(args['password'])
pop.dele(1); pop.dele(2)
out['rset'] = pop.rset().decode()
pop.quit()
pop = stls_session()
pop.user(args['user']); pop.pass_(args['password'])
pop.dele(1); pop.dele(2)
pop.sock.close()   # gone without QUIT: no UPDATE state
`,
        { port: pop.ports.pop3, user: address, password: PASSWORD },
      );
      assert.match(String(out.rset), /^\+OK/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(await inboxSubjects(user), ['keep one', 'keep two']);
    });

    it('poplib: AUTH PLAIN after STLS logs in', async (t) => {
      if (!requireTool(t, 'python3', 'python3')) return;
      const { address } = await mailbox('via sasl');
      const out = await poplib<{ auth: string; stat: [number, number] }>(
        `
pop = stls_session()
token = base64.b64encode(b'\\0' + args['user'].encode() + b'\\0' + args['password'].encode()).decode()
out['auth'] = pop._shortcmd('AUTH PLAIN ' + token).decode()
out['stat'] = list(pop.stat())
pop.quit()
`,
        { port: pop.ports.pop3, user: address, password: PASSWORD },
      );
      assert.match(out.auth, /^\+OK/);
      assert.equal(out.stat[0], 1);
    });

    it('poplib: USER and AUTH before STLS are refused with [SYS/PERM], and the session goes on', async (t) => {
      if (!requireTool(t, 'python3', 'python3')) return;
      const { address } = await mailbox();
      const out = await poplib<{ user: string; auth: string; stls: string; capa: string[] }>(
        `
pop = poplib.POP3('127.0.0.1', args['port'], timeout=10)
out['capa'] = sorted(pop.capa().keys())
out['user'] = error_of(lambda: pop.user(args['user']))
out['auth'] = error_of(lambda: pop._shortcmd('AUTH PLAIN AGZvbwBiYXI='))
out['stls'] = pop.stls(context=tls).decode()
pop.quit()
`,
        { port: pop.ports.pop3, user: address },
      );
      assert.ok(out.capa.includes('STLS') && !out.capa.includes('USER'));
      assert.match(out.user, /^-ERR \[SYS\/PERM\]/);
      assert.match(out.auth, /^-ERR \[SYS\/PERM\]/);
      assert.match(out.stls, /^\+OK/);
    });

    it('poplib: POP3S with implicit TLS', async (t) => {
      if (!requireTool(t, 'python3', 'python3')) return;
      const { address } = await mailbox('over pop3s');
      const out = await poplib<{ stat: [number, number]; retr: string[] }>(
        `
pop = poplib.POP3_SSL('127.0.0.1', args['port'], context=tls, timeout=10)
pop.user(args['user']); pop.pass_(args['password'])
out['stat'] = list(pop.stat())
out['retr'] = text(pop.retr(1)[1])
pop.quit()
`,
        { port: pop.ports.pop3s, user: address, password: PASSWORD },
      );
      assert.equal(out.stat[0], 1);
      assert.ok(out.retr.includes('Subject: over pop3s'));
    });

    it('poplib: an unknown command (LAST) and an overlong line get -ERR and the session goes on', async (t) => {
      if (!requireTool(t, 'python3', 'python3')) return;
      const { address } = await mailbox('still here');
      const out = await poplib<{ last: string; long: string; stat: [number, number] }>(
        `
pop = stls_session()
pop.user(args['user']); pop.pass_(args['password'])
out['last'] = error_of(lambda: pop._shortcmd('LAST'))
out['long'] = error_of(lambda: pop._shortcmd('NOOP ' + 'x' * 100000))
out['stat'] = list(pop.stat())
pop.quit()
`,
        { port: pop.ports.pop3, user: address, password: PASSWORD },
      );
      assert.match(out.last, /^-ERR/);
      assert.match(out.long, /^-ERR Line too long/);
      assert.equal(out.stat[0], 1);
    });

    /** Writes an rcfile for `address` (STLS required, certificate unchecked) with an MDA storing one file per message, and runs fetchmail. */
    const fetchmail = async (address: string, home: string, mode: 'fetchall no keep' | 'keep') => {
      const outbox = join(home, 'delivered');
      mkdirSync(outbox, { recursive: true });
      const mda = join(home, 'mda.sh');
      // Each message into its own file, as procmail or maildrop would store it.
      writeFileSync(mda, `#!/bin/sh\ncat > "$(mktemp '${outbox}/msg.XXXXXX')"\n`, { mode: 0o755 });
      const rcfile = join(home, 'fetchmailrc');
      writeFileSync(
        rcfile,
        [
          'set no bouncemail',
          'set no syslog',
          `poll 127.0.0.1 protocol pop3 port ${pop.ports.pop3}`,
          `  user "${address}" there with password "${PASSWORD}" is "reader" here`,
          // sslproto without "ssl": STLS is mandatory; the init certificate is self-signed.
          '  sslproto "TLS1.2+" no sslcertck',
          `  mda "${mda}"`,
          `  ${mode}`,
          '',
        ].join('\n'),
      );
      chmodSync(rcfile, 0o600);
      const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn('fetchmail', ['-v', '-f', rcfile], { env: { ...process.env, HOME: home, FETCHMAILHOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        child.on('error', reject);
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        });
      });
      const delivered = readdirSync(outbox).map((name) => readFileSync(join(outbox, name), 'utf8'));
      return { ...result, delivered };
    };

    it('fetchmail pulls every message over STLS into an MDA and removes them from the server', async (t) => {
      if (!requireTool(t, 'fetchmail', 'fetchmail')) return;
      const { user, address } = await mailbox('fetch one', 'fetch two', 'fetch three');
      const result = await fetchmail(address, join(pop.instance.dir, `fetchmail-${userCount}`), 'fetchall no keep');
      // fetchmail exits 0 when it delivered mail.
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /upgrade to TLS succeeded/);
      assert.equal(result.delivered.length, 3, result.output);
      const subjects = result.delivered.map((text) => /^Subject: (.*)$/m.exec(text)?.[1]).sort();
      assert.deepEqual(subjects, ['fetch one', 'fetch three', 'fetch two']);
      for (const text of result.delivered) assert.match(text, /^\.a line starting with a dot/m, 'the MDA gets the un-stuffed line');
      assert.deepEqual(await inboxSubjects(user), [], 'fetchmail deleted them on the server');
    });

    it('fetchmail in keep mode survives its LAST probe, tracks mail by UIDL, and fetches nothing twice', async (t) => {
      if (!requireTool(t, 'fetchmail', 'fetchmail')) return;
      const { user, address } = await mailbox('kept one', 'kept two');
      const home = join(pop.instance.dir, `fetchmail-${userCount}`);
      const first = await fetchmail(address, home, 'keep');
      assert.equal(first.code, 0, first.output);
      assert.match(first.output, /POP3> LAST[\s\S]*POP3< -ERR[\s\S]*POP3> UIDL/);
      assert.equal(first.delivered.length, 2, first.output);
      const again = await fetchmail(address, home, 'keep');
      // Exit 1: no new mail (fetchmail(1) EXIT CODES).
      assert.equal(again.code, 1, again.output);
      assert.equal(again.delivered.length, 2, 'nothing delivered a second time');
      assert.deepEqual(await inboxSubjects(user), ['kept one', 'kept two'], 'keep leaves the mail on the server');
    });
  });
}
