// Measures a `postern mailstore` process: RSS with N idle IMAP connections, and SELECT + FETCH of M messages;
// beside it, when Debian's Dovecot is installed, the PSS of Dovecot's processes for as many idle sessions.
// A script, not a test: node --import tsx apps/mailstore/bench/imap.ts (or pnpm bench) [sqlite|mongodb|dovecot] [connections] [messages]
import { readFileSync } from 'node:fs';
import type { User } from '@postern/store';
import { startDovecotLmtp } from '../../../test/mta/dovecot.js';
import { PASSWORD, startImapInstance } from '../../../test/imap/mailstore-process.js';
import { TaggedSession } from '../../../test/imap/tagged-session.js';
import { childProcesses, pssKb } from '../../../test/support/proc.js';
import { findTool } from '../../../test/support/tools.js';

/** `dovecot` measures Dovecot's idle sessions alone. */
const backend = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'mongodb' | 'dovecot';
const CONNECTIONS = Number(process.argv[3] ?? 500);
const MESSAGES = Number(process.argv[4] ?? 1000);

const USERS = ['m1@example.com', 'm2@example.com', 'm3@example.com', 'm4@example.com', 'm5@example.com'];
const BODY = `${'A line of text in the body of a measured message. '.repeat(2)}\r\n`.repeat(30);

function message(i: number, to: string): string {
  return `From: Sender ${i} <sender${i}@example.org>\r\nTo: ${to}\r\nSubject: Measured message ${i}\r\nMessage-ID: <measure-${i}.${to}>\r\nDate: Fri, 21 Nov 2025 10:00:00 +0000\r\n\r\n${BODY}`;
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** STARTTLS, LOGIN, SELECT INBOX, IDLE: a connection as a mail client leaves it open. */
async function idleConnection(port: number, user: string): Promise<TaggedSession> {
  const session = await TaggedSession.open(port, true);
  await session.command(`LOGIN ${user} "${PASSWORD}"`);
  await session.command('SELECT INBOX');
  session.send('I IDLE');
  return session;
}

/** Opens `count` idle sessions a few at a time, as clients arrive (a burst would also grow the store driver's pool). */
async function idleConnections(port: number, users: readonly string[], count: number): Promise<TaggedSession[]> {
  const sessions: TaggedSession[] = [];
  const BATCH = 5;
  for (let i = 0; i < count; i += BATCH) {
    sessions.push(...(await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => idleConnection(port, users[(i + j) % users.length]!)))));
  }
  return sessions;
}

/** PSS of the master's children, summed by process name (imap, imap-login, auth, …). */
function dovecotPss(master: number): Map<string, { processes: number; kb: number }> {
  const sums = new Map<string, { processes: number; kb: number }>();
  for (const { pid, comm } of childProcesses(master)) {
    const sum = sums.get(comm) ?? { processes: 0, kb: 0 };
    sum.processes++;
    sum.kb += pssKb(pid);
    sums.set(comm, sum);
  }
  return sums;
}

/** Dovecot 2.3 with the same idle sessions (STARTTLS, LOGIN, SELECT of 50 messages, IDLE): PSS per session. */
async function dovecotIdle(users: readonly string[]): Promise<void> {
  if (!findTool('dovecot')) {
    console.log('dovecot\tnot installed (apt install dovecot-imapd): no idle-session figure');
    return;
  }
  // Limits raised so that every session gets its processes (one imap, and one imap-login proxying its TLS).
  const settings = `default_process_limit = ${CONNECTIONS + 50}\ndefault_client_limit = ${2 * CONNECTIONS + 100}\nmail_max_userip_connections = ${CONNECTIONS}\n`;
  const server = await startDovecotLmtp(users.map((address) => ({ address, passwordHash: `{PLAIN}${PASSWORD}` })), { tls: true, settings });
  try {
    for (const user of users) server.fillMaildir(user, Array.from({ length: 50 }, (_, i) => message(i + 1, user)));
    const master = server.masterPid();
    if (master === null) throw new Error('dovecot wrote no master.pid');
    const before = dovecotPss(master);
    const sessions = await idleConnections(server.imapPort, users, CONNECTIONS);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const after = dovecotPss(master);
    const per = (name: string): string => {
      const sum = after.get(name) ?? { processes: 0, kb: 0 };
      const base = before.get(name) ?? { processes: 0, kb: 0 };
      return `${name}: ${sum.processes} processes, ${((sum.kb - base.kb) / 1024).toFixed(1)} MiB PSS (${((sum.kb - base.kb) / sessions.length).toFixed(0)} KiB each)`;
    };
    const others = [...after.keys()].filter((name) => name !== 'imap' && name !== 'imap-login');
    const total = [...after.values()].reduce((kb, sum) => kb + sum.kb, 0) - [...before.values()].reduce((kb, sum) => kb + sum.kb, 0);
    console.log(`dovecot\tPSS with ${sessions.length} idle IMAP connections\t${per('imap')}\t${per('imap-login')}\t(${others.join(', ')}: the rest)`);
    console.log(`dovecot\tPSS of all its processes, growth\t${(total / 1024).toFixed(1)} MiB\t(+${(total / sessions.length).toFixed(0)} KiB each)`);
    for (const session of sessions) session.close();
  } finally {
    await server.stop();
  }
}

async function main(backend: 'sqlite' | 'mongodb'): Promise<void> {
  const imap = await startImapInstance(backend, [
    ['limits.max_connections_per_ip', String(CONNECTIONS + 50)],
    ['limits.mail_max_userip_connections', String(CONNECTIONS)],
  ]);
  try {
    const records: User[] = [];
    for (const user of USERS) records.push(await imap.addUser(user, PASSWORD));

    // 1. RSS with CONNECTIONS idle connections (STARTTLS, logged in, INBOX of 50 messages selected, IDLE),
    //    measured first, on a fresh process.
    for (const record of records.slice(1)) for (let i = 1; i <= 50; i++) await imap.deliver(record, message(i, record.address));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = rssKb(imap.processes[0]!.pid);
    const sockets = await idleConnections(imap.ports.imap, USERS.slice(1), CONNECTIONS);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const after = rssKb(imap.processes[0]!.pid);
    console.log(`${backend}\tRSS before connections\t${(before / 1024).toFixed(1)} MiB`);
    console.log(`${backend}\tRSS with ${sockets.length} idle IMAP connections\t${(after / 1024).toFixed(1)} MiB\t(+${((after - before) / sockets.length).toFixed(0)} KiB each)`);
    for (const socket of sockets) socket.close();

    // 2. SELECT + FETCH of MESSAGES messages (about 2 KB each) in one INBOX.
    for (let start = 1; start <= MESSAGES; start += 50) {
      await Promise.all(Array.from({ length: Math.min(50, MESSAGES - start + 1) }, (_, k) => imap.deliver(records[0]!, message(start + k, 'm1@example.com'))));
    }
    const session = await TaggedSession.open(imap.ports.imap, true);
    await session.command(`LOGIN m1@example.com "${PASSWORD}"`);
    const timed = async (label: string, commands: string[]): Promise<void> => {
      const started = process.hrtime.bigint();
      const before = session.received;
      for (const command of commands) await session.command(command);
      const bytes = session.received - before;
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
    session.close();
  } finally {
    await imap.stop();
  }
}

if (backend !== 'dovecot') await main(backend);
await dovecotIdle(USERS.slice(1));
