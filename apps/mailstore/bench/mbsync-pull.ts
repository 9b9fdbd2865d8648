// A first sync as a new mail client makes it: mbsync pulls N messages of ~5 KB from INBOX over IMAP
// into an empty Maildir, from `postern mailstore` and, when Debian's Dovecot is installed, from
// Dovecot 2.3 with the same messages in its Maildir. Each server has served one pull before the
// timed one (Dovecot has built its index, Postern its structure cache), as for a client added to
// a mailbox in use. A script, not a test:
//   node --import tsx apps/mailstore/bench/mbsync-pull.ts (or pnpm bench) [sqlite|mongodb] [messages] [KB per message] [deflate|plain] [timed pulls]
// (POSTERN_BENCH_ONLY=postern skips Dovecot.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecotLmtp } from '../../../test/mta/dovecot.js';
import { PASSWORD, startImapInstance, testMessage } from '../../../test/imap/mailstore-process.js';
import { childProcesses, cpuMs, reapedChildrenCpuMs } from '../../../test/support/proc.js';
import { findTool, runTool } from '../../../test/support/tools.js';

const backend = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'mongodb';
const MESSAGES = Number(process.argv[3] ?? 5000);
const USER = 'pull@example.com';
const CLIENT_TMPFS = '/dev/shm';
const LINE = 'A line of a message body that a mail client pulls on its first sync.\r\n';
/** `deflate`: COMPRESS=DEFLATE (RFC 4978) on both servers, as mbsync uses it wherever it is offered (Dovecot
 *  offers it with its imap_zlib plugin); `plain`: mbsync told not to use it, neither server compresses. */
const TRANSPORT = (process.argv[5] ?? 'deflate') as 'deflate' | 'plain';
/** Timed pulls after the warm-up one: the fastest is reported (on a shared machine the others measure the neighbours). */
const PULLS = Math.max(1, Number(process.argv[6] ?? 1));
/** About 5 KB by default: the size the issue measured with (`200 1024` pulls 200 messages of 1 MB). */
const BODY = LINE.repeat(Math.max(1, Math.round((Number(process.argv[4] ?? 5) * 1024) / LINE.length)));

function message(n: number): string {
  return testMessage(n, `Pull ${n}`, BODY);
}

const SETTLE_MS = 500;

interface Pulled {
  ms: number;
  files: number;
  /** CPU time the server used during the pull, and mbsync's own (the client's share of the wall time). */
  serverCpuMs: number;
  clientCpuMs: number;
}

/** Pulls INBOX into a fresh Maildir; returns the wall time, how many files arrived and the CPU either side used. */
async function pull(port: number, starttls: { certificate: string; host: string } | null, serverCpuMs: () => number): Promise<Pulled> {
  // The client's Maildir on tmpfs where there is one: 5,000 new files on a disk made some pulls of either
  // server wait ~3 s for the kernel's writeback (bimodal 0.3 s / 3 s runs), which measured the disk.
  const home = mkdtempSync(join(existsSync(CLIENT_TMPFS) ? CLIENT_TMPFS : tmpdir(), 'postern-bench-mbsync-'));
  try {
    const local = join(home, 'mail');
    mkdirSync(local);
    const config = join(home, 'mbsyncrc');
    writeFileSync(
      config,
      [
        // The near side's fsync per message would measure this machine's disk, not the server.
        'FSync no',
        '',
        'IMAPAccount far',
        `Host ${starttls?.host ?? '127.0.0.1'}`,
        `Port ${port}`,
        `User ${USER}`,
        `Pass "${PASSWORD}"`,
        ...(TRANSPORT === 'plain' ? ['DisableExtension COMPRESS=DEFLATE'] : []),
        ...(starttls ? ['SSLType STARTTLS', `CertificateFile ${starttls.certificate}`] : ['SSLType None', 'AuthMechs LOGIN']),
        '',
        'IMAPStore far',
        'Account far',
        '',
        'MaildirStore near',
        `Path ${local}/`,
        `Inbox ${local}/INBOX`,
        '',
        'Channel pull',
        'Far :far:',
        'Near :near:',
        'Patterns INBOX',
        'Create Near',
        'Sync Pull',
        'SyncState *',
        '',
      ].join('\n'),
    );
    const [serverBefore, clientBefore] = [serverCpuMs(), reapedChildrenCpuMs('self')];
    const started = performance.now();
    const result = await runTool('mbsync', ['-c', config, '-a', '-q'], { env: { HOME: home } });
    const ms = performance.now() - started;
    // mbsync has been waited for, so its CPU is in this process's cutime/cstime; the server's is read from /proc once
    // its session has wound down (Dovecot's imap processes finish and are reaped a moment after the client left).
    const clientAfter = reapedChildrenCpuMs('self');
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const serverAfter = serverCpuMs();
    if (result.code !== 0) throw new Error(`mbsync failed:\n${result.stdout}\n${result.stderr}`);
    const listed = spawnSync('sh', ['-c', `ls ${join(local, 'INBOX', 'new')} ${join(local, 'INBOX', 'cur')} | grep -c ,`], { encoding: 'utf8' });
    return { ms, files: Number(listed.stdout.trim()), serverCpuMs: serverAfter - serverBefore, clientCpuMs: clientAfter - clientBefore };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The warm-up pull, then PULLS timed ones; the one with the least server CPU (its wall time and mbsync's CPU with it). */
async function bestPull(port: number, starttls: { certificate: string; host: string }, serverCpuMs: () => number): Promise<Pulled> {
  await pull(port, starttls, serverCpuMs);
  let best: Pulled | null = null;
  for (let n = 0; n < PULLS; n++) {
    const result = await pull(port, starttls, serverCpuMs);
    if (!best || result.serverCpuMs < best.serverCpuMs) best = result;
  }
  return best!;
}

function row(server: string, result: Pulled): string {
  const perMessage = (ms: number): string => `${Math.round((ms * 1000) / MESSAGES)} µs`;
  return `| ${server} | ${MESSAGES} | ${result.files} | ${(result.ms / 1000).toFixed(2)} s | ${Math.round((result.files / result.ms) * 1000)} msg/s | ${perMessage(result.serverCpuMs)} | ${perMessage(result.clientCpuMs)} |`;
}

async function postern(): Promise<string> {
  // POSTERN_MAILSTORE_PROCESSES=N|auto: [limits] mailstore_processes (default: the product's, "auto"); one connection is served by one process.
  const processes = process.env.POSTERN_MAILSTORE_PROCESSES ?? 'auto';
  const imap = await startImapInstance(backend, [['limits.mailstore_processes', /^\d+$/.test(processes) ? processes : `"${processes}"`]]);
  try {
    const user = await imap.addUser(USER, PASSWORD);
    for (let start = 1; start <= MESSAGES; start += 50) {
      const batch = Array.from({ length: Math.min(50, MESSAGES - start + 1) }, (_, i) => start + i);
      await Promise.all(batch.map((n) => imap.deliver(user, message(n))));
    }
    const tls = { certificate: join(imap.instance.dir, 'tls', 'cert.pem'), host: '127.0.0.1' };
    // The mailstore's CPU: its process, and its workers' when mailstore_processes > 1.
    const mailstore = imap.processes[0]!.pid;
    const posternCpuMs = (): number => cpuMs(mailstore) + childProcesses(mailstore).reduce((ms, child) => ms + cpuMs(child.pid), 0);
    // One warm-up pull per worker (bestPull makes the last): connections go to the workers in turn, and no timed pull may meet a cold one.
    const workers = /^\d+$/.test(processes) ? Number(processes) : availableParallelism();
    for (let i = 1; i < workers; i++) await pull(imap.ports.imap, tls, posternCpuMs);
    return row(`Postern mailstore (${backend}, STARTTLS)`, await bestPull(imap.ports.imap, tls, posternCpuMs));
  } finally {
    await imap.stop();
  }
}

async function dovecot(): Promise<string> {
  if (!findTool('dovecot')) return '| Dovecot | not installed (apt install dovecot-imapd) | | | | | |';
  // STARTTLS as Postern is measured: the same transport on both sides.
  const server = await startDovecotLmtp([{ address: USER, passwordHash: `{PLAIN}${PASSWORD}` }], {
    tls: true,
    ...(TRANSPORT === 'deflate' ? { settings: 'protocol imap {\n  mail_plugins = $mail_plugins imap_zlib\n}\n' } : {}),
  });
  try {
    server.fillMaildir(USER, Array.from({ length: MESSAGES }, (_, i) => message(i + 1)));
    // The test CA's leaf names localhost (mbsync checks the name it connected to).
    const tls = { certificate: server.caFile!, host: 'localhost' };
    const master = server.masterPid();
    if (master === null) throw new Error('dovecot wrote no master.pid');
    // A session's imap process ends with the session: the master's reaped children's CPU counts it, the live ones are read directly.
    const dovecotCpuMs = (): number => cpuMs(master) + reapedChildrenCpuMs(master) + childProcesses(master).reduce((ms, child) => ms + cpuMs(child.pid), 0);
    return row('Dovecot 2.3 (Maildir, STARTTLS)', await bestPull(server.imapPort, tls, dovecotCpuMs));
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  if (!findTool('mbsync')) {
    console.log('mbsync is not installed (apt install isync): nothing measured');
    return;
  }
  // Timings swing with the machine's load: say what it was.
  console.log(`mbsync first sync of INBOX, ${MESSAGES} messages of ~${Math.round(Buffer.byteLength(message(1)) / 1024)} KB, ${TRANSPORT === 'deflate' ? 'COMPRESS=DEFLATE' : 'no compression'} (load average ${loadavg().map((load) => load.toFixed(2)).join(' ')})`);
  console.log('| server | messages | pulled | time | rate | server CPU per message | mbsync CPU per message |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(await postern());
  if (process.env.POSTERN_BENCH_ONLY !== 'postern') console.log(await dovecot());
}

await main();
