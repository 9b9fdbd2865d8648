// Measures a `postern mailstore` process: RSS with N idle IMAP connections, and SELECT + FETCH of M messages.
// A script, not a test: node --import tsx apps/mailstore/bench/imap.ts (or pnpm bench) [sqlite|mongodb] [connections] [messages]
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { User } from '@postern/store';
import { PASSWORD, startImapInstance, type ImapInstance } from '../../../test/imap/mailstore-process.js';

const backend = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'mongodb';
const CONNECTIONS = Number(process.argv[3] ?? 500);
const MESSAGES = Number(process.argv[4] ?? 1000);

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** Sends commands one at a time over a socket; resolves each with the text up to its tagged reply. */
function conversation(socket: NodeJS.ReadWriteStream & { write(data: string): boolean }) {
  let buffer = '';
  let waiting: { tag: string; resolve: (text: string) => void } | null = null;
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('binary');
    if (waiting && new RegExp(`(^|\\r\\n)${waiting.tag} [A-Z]+ [^\\r\\n]*\\r\\n$`).test(buffer)) {
      const done = waiting;
      waiting = null;
      const text = buffer;
      buffer = '';
      done.resolve(text);
    }
  });
  let n = 0;
  return {
    greeting: () => new Promise<void>((resolve) => {
      const check = (): void => {
        if (buffer.includes('\r\n')) {
          buffer = '';
          resolve();
        } else setTimeout(check, 5);
      };
      check();
    }),
    send(command: string): Promise<string> {
      const tag = `M${++n}`;
      return new Promise((resolve) => {
        waiting = { tag, resolve };
        socket.write(`${tag} ${command}\r\n`);
      });
    },
  };
}

/** STARTTLS, LOGIN, SELECT INBOX, IDLE: a connection as a mail client leaves it open. */
async function idleConnection(imap: ImapInstance, user: string): Promise<TLSSocket> {
  const plain = netConnect({ host: '127.0.0.1', port: imap.ports.imap });
  const first = conversation(plain);
  await first.greeting();
  await first.send('STARTTLS');
  plain.removeAllListeners('data');
  const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', () => resolve());
    secure.once('error', reject);
  });
  const session = conversation(secure);
  await session.send(`LOGIN ${user} "${PASSWORD}"`);
  await session.send('SELECT INBOX');
  secure.write('I IDLE\r\n');
  return secure;
}

async function main(): Promise<void> {
  const imap = await startImapInstance(backend, [
    ['limits.max_connections_per_ip', String(CONNECTIONS + 50)],
    ['limits.mail_max_userip_connections', String(CONNECTIONS)],
  ]);
  try {
    const users = ['m1@example.com', 'm2@example.com', 'm3@example.com', 'm4@example.com', 'm5@example.com'];
    const records: User[] = [];
    for (const user of users) records.push(await imap.addUser(user, PASSWORD));
    const body = `${'A line of text in the body of a measured message. '.repeat(2)}\r\n`.repeat(30);
    const message = (i: number, to: string): string =>
      `From: Sender ${i} <sender${i}@example.org>\r\nTo: ${to}\r\nSubject: Measured message ${i}\r\nMessage-ID: <measure-${i}.${to}>\r\nDate: Fri, 21 Nov 2025 10:00:00 +0000\r\n\r\n${body}`;

    // 1. RSS with CONNECTIONS idle connections (STARTTLS, logged in, INBOX of 50 messages selected, IDLE),
    //    measured first, on a fresh process.
    for (const record of records.slice(1)) for (let i = 1; i <= 50; i++) await imap.deliver(record, message(i, record.address));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = rssKb(imap.processes[0]!.pid);
    const sockets: TLSSocket[] = [];
    // Few logins at a time, as clients arrive: a burst would also grow the store driver's connection pool.
    const BATCH = 5;
    for (let i = 0; i < CONNECTIONS; i += BATCH) {
      const batch = await Promise.all(Array.from({ length: Math.min(BATCH, CONNECTIONS - i) }, (_, j) => idleConnection(imap, users[1 + ((i + j) % 4)]!)));
      sockets.push(...batch);
    }
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const after = rssKb(imap.processes[0]!.pid);
    console.log(`${backend}\tRSS before connections\t${(before / 1024).toFixed(1)} MiB`);
    console.log(`${backend}\tRSS with ${sockets.length} idle IMAP connections\t${(after / 1024).toFixed(1)} MiB\t(+${((after - before) / sockets.length).toFixed(0)} KiB each)`);
    for (const socket of sockets) socket.destroy();

    // 2. SELECT + FETCH of MESSAGES messages (about 2 KB each) in one INBOX.
    for (let start = 1; start <= MESSAGES; start += 50) {
      await Promise.all(Array.from({ length: Math.min(50, MESSAGES - start + 1) }, (_, k) => imap.deliver(records[0]!, message(start + k, 'm1@example.com'))));
    }
    const plain = netConnect({ host: '127.0.0.1', port: imap.ports.imap });
    const first = conversation(plain);
    await first.greeting();
    await first.send('STARTTLS');
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve) => secure.once('secureConnect', () => resolve()));
    const session = conversation(secure);
    await session.send(`LOGIN m1@example.com "${PASSWORD}"`);
    const timed = async (label: string, commands: string[]): Promise<void> => {
      const started = process.hrtime.bigint();
      let bytes = 0;
      for (const command of commands) bytes += (await session.send(command)).length;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      console.log(`${backend}\t${label}\t${ms.toFixed(0)} ms\t${(bytes / 1024).toFixed(0)} KiB`);
    };
    const headers = 'UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)';
    await timed(`SELECT + FETCH headers of ${MESSAGES} (first time: structure parsed and cached)`, ['SELECT INBOX', headers]);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await timed(`SELECT + FETCH headers of ${MESSAGES} (cached)`, ['SELECT INBOX', headers]);
    await timed(`SELECT + FETCH BODY.PEEK[] of ${MESSAGES}`, ['SELECT INBOX', 'UID FETCH 1:* (UID FLAGS BODY.PEEK[])']);
    await timed(`UID SEARCH SUBJECT over ${MESSAGES}`, ['UID SEARCH SUBJECT "message 999"']);
    await timed(`UID SEARCH BODY over ${MESSAGES}`, ['UID SEARCH BODY "nothing like this"']);
    secure.destroy();
  } finally {
    await imap.stop();
  }
}

await main();
