// A mixed IMAP load as N mail clients make it, each on its own mailbox (INBOX of ~1,000 messages and a
// folder "Other"), one command at a time per client as Thunderbird sends them, for T seconds: SELECT,
// UID FETCH of the recent headers, UID FETCH of a whole message, UID STORE \Seen, UID SEARCH UNSEEN,
// STATUS Other, APPEND of 5 KB, NOOP, and every 20 loops UID STORE \Deleted + UID EXPUNGE (RFC 4315).
// Against `postern mailstore` (SQLite, MongoDB) and, when Debian's Dovecot is installed, Dovecot 2.3
// with the same messages in its Maildirs; every server over STARTTLS. Fixed random seed. A script:
//   node --import tsx apps/mailstore/bench/mixed-load.ts (or pnpm bench) [sqlite|mongodb|dovecot|all] [clients] [seconds] [runs] [messages]
// POSTERN_MAILSTORE_PROCESSES=N|auto sets [limits] mailstore_processes (default: the product's, "auto", one per core).
import { availableParallelism } from 'node:os';
import { startDovecotLmtp } from '../../../test/mta/dovecot.js';
import { PASSWORD, startImapInstance } from '../../../test/imap/mailstore-process.js';
import { TaggedSession } from '../../../test/imap/tagged-session.js';
import { childProcesses, cpuMs } from '../../../test/support/proc.js';
import { findTool } from '../../../test/support/tools.js';

const which = process.argv[2] ?? 'all';
const CLIENTS = Number(process.argv[3] ?? 10);
const SECONDS = Number(process.argv[4] ?? 20);
const RUNS = Number(process.argv[5] ?? 1);
const INBOX_MESSAGES = Number(process.argv[6] ?? 1000);
const OTHER_MESSAGES = Math.ceil(INBOX_MESSAGES / 10);
const SEED = 14;
const PROCESSES = process.env.POSTERN_MAILSTORE_PROCESSES ?? 'auto';
const PROCESS_COUNT = /^\d+$/.test(PROCESSES) ? Number(PROCESSES) : availableParallelism();

const users = Array.from({ length: CLIENTS }, (_, i) => `mixed${i + 1}@example.com`);
const line = (text: string): string => `${text.padEnd(76, '.')}\r\n`;

/** ~2 KB, with the headers a client lists by. */
function stored(n: number, to: string): string {
  return `From: Sender ${n % 37} <sender${n % 37}@example.org>\r\nTo: ${to}\r\nSubject: Mixed load message ${n}\r\nMessage-ID: <mixed-${n}.${to}>\r\nDate: Fri, 21 Nov 2025 10:${String(n % 60).padStart(2, '0')}:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${line(`Body of message ${n}`).repeat(26)}`;
}

let appended = 0;
/** ~5 KB, as a client saves a sent message. */
function outgoing(to: string): Buffer {
  const n = ++appended;
  return Buffer.from(`From: ${to}\r\nTo: someone@example.org\r\nSubject: Sent ${n}\r\nMessage-ID: <sent-${n}.${to}>\r\nDate: Fri, 21 Nov 2025 11:00:00 +0000\r\n\r\n${line(`Sent text ${n}`).repeat(66)}`);
}

/** mulberry32: a small seeded generator, so every server gets the same sequence of choices. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Latencies = Map<string, number[]>;

async function timed(latencies: Latencies, type: string, run: () => Promise<{ status: string; lines: string[] }>): Promise<string[]> {
  const started = performance.now();
  const reply = await run();
  const ms = performance.now() - started;
  if (reply.status !== 'OK') throw new Error(`${type}: ${reply.lines.at(-1)}`);
  let list = latencies.get(type);
  if (!list) latencies.set(type, (list = []));
  list.push(ms);
  return reply.lines;
}

/** Logs in and learns the INBOX's UIDs (untimed; for Dovecot also its first index of both folders). */
async function login(port: number, user: string): Promise<{ session: TaggedSession; uids: number[] }> {
  const session = await TaggedSession.open(port, true);
  const answer = await session.command(`LOGIN ${user} "${PASSWORD}"`);
  if (answer.status !== 'OK') throw new Error(`LOGIN ${user}: ${answer.lines.at(-1)}`);
  await session.command('SELECT INBOX');
  const search = await session.command('UID SEARCH ALL');
  const uids = (search.lines.find((l) => l.startsWith('* SEARCH')) ?? '').split(' ').slice(2).map(Number);
  await session.command('STATUS Other (MESSAGES UNSEEN UIDNEXT)');
  return { session, uids };
}

/** One client's loop until `deadline`; returns how many commands it completed. */
async function client(session: TaggedSession, user: string, uids: number[], random: () => number, deadline: number, latencies: Latencies): Promise<number> {
  let commands = 0;
  const step = async (type: string, run: () => Promise<{ status: string; lines: string[] }>): Promise<string[]> => {
    const lines = await timed(latencies, type, run);
    commands++;
    return lines;
  };
  const pick = (): number => uids[Math.floor(random() * uids.length)]!;
  for (let loop = 1; performance.now() < deadline; loop++) {
    const selected = await step('SELECT', () => session.command('SELECT INBOX'));
    const uidNext = Number(/UIDNEXT (\d+)/.exec(selected.join('\n'))?.[1] ?? 1);
    await step('UID FETCH headers', () => session.command(`UID FETCH ${Math.max(1, uidNext - 50)}:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (From To Subject Date)])`));
    await step('UID FETCH BODY[]', () => session.command(`UID FETCH ${pick()} BODY.PEEK[]`));
    await step('UID STORE \\Seen', () => session.command(`UID STORE ${pick()} +FLAGS (\\Seen)`));
    await step('UID SEARCH UNSEEN', () => session.command('UID SEARCH UNSEEN'));
    await step('STATUS', () => session.command('STATUS Other (MESSAGES UNSEEN UIDNEXT)'));
    await step('APPEND', () => session.append('Other', outgoing(user)));
    await step('NOOP', () => session.command('NOOP'));
    if (loop % 20 === 0 && uids.length > 1) {
      const index = Math.floor(random() * uids.length);
      const uid = uids[index]!;
      uids.splice(index, 1);
      await step('UID STORE \\Deleted', () => session.command(`UID STORE ${uid} +FLAGS (\\Deleted)`));
      await step('UID EXPUNGE', () => session.command(`UID EXPUNGE ${uid}`));
    }
  }
  return commands;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] ?? 0;
}

/**
 * Runs the load RUNS times back to back on fresh logins and prints a table per run, with the CPU time
 * the server's processes spent per command: on a machine shared with other work, the figure that
 * contention changes least.
 */
async function measure(server: string, port: number, serverCpuMs: () => number): Promise<void> {
  for (let run = 1; run <= RUNS; run++) {
    const logins = await Promise.all(users.map((user) => login(port, user)));
    const latencies: Latencies = new Map();
    const cpuBefore = serverCpuMs();
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    const counts = await Promise.all(logins.map(({ session, uids }, i) => client(session, users[i]!, uids, seeded(SEED * 1000 + run * 100 + i), deadline, latencies)));
    const elapsed = (performance.now() - started) / 1000;
    const cpu = serverCpuMs() - cpuBefore;
    for (const { session } of logins) session.close();
    const total = counts.reduce((a, b) => a + b, 0);
    console.log(`\n${server}, run ${run}/${RUNS}: ${total} commands in ${elapsed.toFixed(1)} s = ${Math.round(total / elapsed)} commands/s; server CPU ${(cpu / 1000).toFixed(1)} s = ${((cpu * 1000) / total).toFixed(0)} µs per command`);
    console.log('| command | count | per s | p50 ms | p99 ms |');
    console.log('|---|---|---|---|---|');
    for (const [type, list] of latencies) {
      const sorted = [...list].sort((a, b) => a - b);
      console.log(`| ${type} | ${list.length} | ${Math.round(list.length / elapsed)} | ${percentile(sorted, 0.5).toFixed(1)} | ${percentile(sorted, 0.99).toFixed(1)} |`);
    }
  }
}

async function postern(backend: 'sqlite' | 'mongodb'): Promise<void> {
  const imap = await startImapInstance(backend, [
    ['limits.max_connections_per_ip', String(CLIENTS + 50)],
    ['limits.mailstore_processes', /^\d+$/.test(PROCESSES) ? PROCESSES : `"${PROCESSES}"`],
  ]);
  try {
    // Mailboxes filled side by side: MongoDB's appender batches the appends that run alongside each other.
    const fill = async (address: string): Promise<void> => {
      const user = await imap.addUser(address, PASSWORD);
      await imap.store.createMailbox(user.id, 'Other');
      for (let start = 1; start <= INBOX_MESSAGES; start += 50) {
        await Promise.all(Array.from({ length: Math.min(50, INBOX_MESSAGES - start + 1) }, (_, k) => imap.deliver(user, stored(start + k, address))));
      }
      await Promise.all(Array.from({ length: OTHER_MESSAGES }, (_, k) => imap.deliver(user, stored(k + 1, address), 'Other')));
    };
    await Promise.all(users.map(fill));
    const mailstore = imap.processes[0]!.pid;
    // With workers, their CPU time counts too (they live through a run, as Dovecot's imap processes do).
    const posternCpuMs = (): number => cpuMs(mailstore) + childProcesses(mailstore).reduce((ms, child) => ms + cpuMs(child.pid), 0);
    await measure(`Postern mailstore (${backend}, STARTTLS, ${PROCESSES === 'auto' ? 'auto: ' : ''}${PROCESS_COUNT} process${PROCESS_COUNT === 1 ? '' : 'es'}), ${CLIENTS} clients`, imap.ports.imap, posternCpuMs);
  } finally {
    await imap.stop();
  }
}

async function dovecot(): Promise<void> {
  if (!findTool('dovecot')) {
    console.log('\nDovecot: not installed (apt install dovecot-imapd)');
    return;
  }
  const server = await startDovecotLmtp(users.map((address) => ({ address, passwordHash: `{PLAIN}${PASSWORD}` })), { tls: true });
  try {
    for (const address of users) {
      server.fillMaildir(address, Array.from({ length: INBOX_MESSAGES }, (_, k) => stored(k + 1, address)));
      server.fillMaildir(address, Array.from({ length: OTHER_MESSAGES }, (_, k) => stored(k + 1, address)), 'Other');
    }
    const master = server.masterPid();
    if (master === null) throw new Error('dovecot wrote no master.pid');
    // The sessions' imap and imap-login processes live through a run: their CPU time is summed at its start and end.
    const dovecotCpuMs = (): number => cpuMs(master) + childProcesses(master).reduce((ms, child) => ms + cpuMs(child.pid), 0);
    await measure(`Dovecot 2.3 (Maildir, STARTTLS), ${CLIENTS} clients`, server.imapPort, dovecotCpuMs);
  } finally {
    await server.stop();
  }
}

console.log(`Mixed IMAP load: ${CLIENTS} clients × ${SECONDS} s, INBOX of ${INBOX_MESSAGES} messages of ~2 KB each, seed ${SEED}`);
if (which === 'all' || which === 'sqlite') await postern('sqlite');
if (which === 'all' || which === 'mongodb') await postern('mongodb');
if (which === 'all' || which === 'dovecot') await dovecot();
