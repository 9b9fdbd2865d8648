// Login rate and a mixed IMAP load, Postern beside Dovecot (when dovecot-imapd is installed).
// A script, not a test: node --import tsx apps/mailstore/bench/login.ts (or pnpm bench) [clients] [seconds]
// Each of CLIENTS loops for SECONDS: connect, LOGIN, SELECT INBOX, FETCH, APPEND, LOGOUT (mail
// clients reconnect constantly); then the same with connect, LOGIN, LOGOUT only (login rate).
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { hashPassword } from '@postern/auth';
import { startDovecotLmtp, type DovecotLmtp } from '../../../test/mta/dovecot.js';
import { PASSWORD, startImapInstance, testMessage } from '../../../test/imap/mailstore-process.js';

const CLIENTS = Number(process.argv[2] ?? 10);
const SECONDS = Number(process.argv[3] ?? 15);
const USERS = Array.from({ length: CLIENTS }, (_, i) => `load${i + 1}@example.com`);

/** One IMAP connection driven one command at a time; resolves each command with its tagged reply line. */
async function open(port: number): Promise<{ send(command: string, literal?: string): Promise<string>; close(): void }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  let buffer = '';
  let waiting: ((line: string) => void) | null = null;
  let failed: ((error: Error) => void) | null = null;
  socket.on('error', (error) => failed?.(error));
  let wantTag = '';
  const check = (): void => {
    for (;;) {
      const end = buffer.indexOf('\r\n');
      if (end < 0 || waiting === null) return;
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (wantTag === '' ? line.startsWith('* ') || line.startsWith('+ ') : line.startsWith(`${wantTag} `) || line.startsWith('+ ')) {
        const done = waiting;
        waiting = null;
        done(line);
      }
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    check();
  });
  const next = (tag: string): Promise<string> =>
    new Promise((resolve, reject) => {
      wantTag = tag;
      waiting = resolve;
      failed = reject;
      check();
    });
  await next(''); // greeting
  let n = 0;
  return {
    async send(command, literal) {
      const tag = `b${++n}`;
      if (literal === undefined) {
        socket.write(`${tag} ${command}\r\n`);
        return next(tag);
      }
      socket.write(`${tag} ${command} {${Buffer.byteLength(literal)}}\r\n`);
      const go = await next(tag);
      if (!go.startsWith('+')) return go;
      socket.write(`${literal}\r\n`);
      return next(tag);
    },
    close: () => socket.destroy(),
  };
}

interface Result {
  logins: number[];
  commands: number;
  failures: number;
}

async function load(port: number, mixed: boolean): Promise<Result> {
  const result: Result = { logins: [], commands: 0, failures: 0 };
  const until = Date.now() + SECONDS * 1000;
  const message = testMessage(1, 'Bench message', 'A short body.\r\n'.repeat(20));
  await Promise.all(
    USERS.map(async (user) => {
      while (Date.now() < until) {
        const imap = await open(port);
        try {
          const started = process.hrtime.bigint();
          const login = await imap.send(`LOGIN ${user} "${PASSWORD}"`);
          result.logins.push(Number(process.hrtime.bigint() - started) / 1e6);
          if (!/^\S+ OK/.test(login)) throw new Error(`LOGIN refused: ${login}`);
          const commands = mixed ? ['SELECT INBOX', 'FETCH 1:10 (FLAGS ENVELOPE RFC822.SIZE)'] : [];
          for (const command of commands) if (!/^\S+ OK/.test(await imap.send(command))) result.failures++;
          if (mixed && !/^\S+ OK/.test(await imap.send('APPEND INBOX', message))) result.failures++;
          await imap.send('LOGOUT');
          result.commands += 2 + commands.length + (mixed ? 1 : 0);
        } catch (err) {
          result.failures++;
          if (result.failures === 1) console.error(String(err));
        } finally {
          imap.close();
        }
      }
    }),
  );
  return result;
}

function summary(name: string, label: string, result: Result): string {
  const sorted = [...result.logins].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
  return `${name}\t${label}\tLOGIN mean ${mean.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms\t${(sorted.length / SECONDS).toFixed(1)} logins/s\t${(result.commands / SECONDS).toFixed(1)} commands/s\t${result.failures} failures`;
}

async function measure(name: string, port: number, seed: (user: string) => Promise<void>): Promise<void> {
  for (const user of USERS) await seed(user);
  console.log(summary(name, `mixed load, ${CLIENTS} clients`, await load(port, true)));
  console.log(summary(name, `login rate, ${CLIENTS} clients`, await load(port, false)));
}

async function main(): Promise<void> {
  console.log(`${CLIENTS} clients for ${SECONDS}s each; Postern stores SCRYPT (its default), Dovecot SHA512-CRYPT with its auth cache on`);
  // With the auth cache (the default), then without it: every LOGIN a SCRYPT verification.
  for (const [name, cacheTtl] of [['postern', '"1h"'], ['postern, no auth cache', '"0s"']] as const) {
    const postern = await startImapInstance('sqlite', [
      ['imap.allow_cleartext_auth', 'true'],
      ['limits.max_connections_per_ip', String(CLIENTS * 4)],
      ['auth.cache_ttl', cacheTtl],
    ]);
    try {
      await measure(name, postern.ports.imap, async (user) => {
        const record = await postern.addUser(user, PASSWORD);
        for (let i = 1; i <= 10; i++) await postern.deliver(record, testMessage(i));
      });
    } finally {
      await postern.stop();
    }
  }
  if (spawnSync('sh', ['-c', 'command -v dovecot && test -x /usr/lib/dovecot/imap']).status !== 0) {
    console.log('dovecot\t(not installed: apt-get install dovecot-imapd)');
    return;
  }
  const hash = await hashPassword(PASSWORD, 'SHA512-CRYPT');
  let dovecot: DovecotLmtp | null = null;
  try {
    dovecot = await startDovecotLmtp(USERS.map((address) => ({ address, passwordHash: hash })));
    const port = dovecot.imapPort;
    await measure('dovecot', port, async (user) => {
      const imap = await open(port);
      await imap.send(`LOGIN ${user} "${PASSWORD}"`);
      for (let i = 1; i <= 10; i++) await imap.send('APPEND INBOX', testMessage(i));
      await imap.send('LOGOUT');
      imap.close();
    });
  } finally {
    await dovecot?.stop();
  }
}

await main();
