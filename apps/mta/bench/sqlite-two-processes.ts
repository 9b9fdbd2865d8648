// Two processes on one SQLite file (SPEC §6, issue 10): `postern mailstore` and
// `postern mta` as the systemd units run them, under mixed load for a while —
// N nodemailer senders on port 25 (each message to a local user, stored over
// LMTP by the mailstore, and to a remote one, queued by the MTA, before 250) and M imapflow clients looping SELECT / FETCH / STORE.
// Prints msg/s and the longest event-loop stall of each process, read from the
// postern_event_loop_lag_seconds{stat="max"} gauge of its /metrics (the max
// since the previous scrape; scraped every second). A script, never a test:
//   node --import tsx apps/mta/bench/sqlite-two-processes.ts [--seconds 20] [--senders 8] [--imap 4] [--size 4096] [--hold-ms 0]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { startDnsServer } from '../../../test/support/dns-server.js';
import { startInstance } from '../../../test/support/instance.js';
import { holdWriteLock } from '../../../test/support/sqlite-lock.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    senders: { type: 'string', default: '8' },
    imap: { type: 'string', default: '4' },
    size: { type: 'string', default: '4096' },
    // A third process takes the write lock for this long every 3 s (a long transaction elsewhere: the CLI, a big message); 0: never.
    'hold-ms': { type: 'string', default: '0' },
  },
});
const SECONDS = Number(values.seconds);
const SENDERS = Number(values.senders);
const IMAP_CLIENTS = Number(values.imap);
const SIZE = Number(values.size);
const HOLD_MS = Number(values['hold-ms']);
const USER = 'bench@example.com';
const PASSWORD = 'bench password';
const SEEDED = 200;
/**
 * Every message also goes to a remote address, so that the MTA process writes
 * too (its queue entry, then the runner's outcome and bounce) while the
 * mailstore stores the local copy: both processes contend for the write lock.
 */
const REMOTE = 'someone@remote.example';

/** The largest event-loop stall seen on one process's /metrics, in ms. */
class StallWatch {
  maxMs = 0;
  p99Ms = 0;
  scrapes = 0;
  constructor(private readonly port: number) {}

  async scrape(): Promise<void> {
    const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
    const stat = (name: string): number => Number(new RegExp(`^postern_event_loop_lag_seconds\\{stat="${name}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0) * 1000;
    this.maxMs = Math.max(this.maxMs, stat('max'));
    this.p99Ms = Math.max(this.p99Ms, stat('p99'));
    this.scrapes++;
  }
}

const body = (n: number): string => `Message ${n}\r\n${'x'.repeat(76)}\r\n`.repeat(Math.max(1, Math.floor(SIZE / 80)));

async function sender(port: number, deadline: number, counts: { accepted: number; temporary: number; failed: number }, id: number): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  for (let n = 0; Date.now() < deadline; n++) {
    try {
      await transport.sendMail({ from: 'sender@example.org', to: [USER, REMOTE], subject: `bench ${id}.${n}`, text: body(n) });
      counts.accepted++;
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode ?? 0;
      if (code >= 400 && code < 500) counts.temporary++;
      else counts.failed++;
    }
  }
  transport.close();
}

async function imapClient(port: number, deadline: number, counts: { ops: number; refused: number }): Promise<void> {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user: USER, pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    while (Date.now() < deadline) {
      const mailbox = await client.mailboxOpen('INBOX');
      counts.ops++;
      const exists = mailbox.exists;
      const from = Math.max(1, exists - 19);
      for await (const _message of client.fetch(`${from}:*`, { uid: true, flags: true, envelope: true })) void _message;
      counts.ops++;
      const seq = String(from + Math.floor(Math.random() * Math.max(1, exists - from + 1)));
      const ok = Math.random() < 0.5 ? await client.messageFlagsAdd(seq, ['\\Seen']) : await client.messageFlagsRemove(seq, ['\\Seen']);
      if (ok) counts.ops++;
      else counts.refused++;
    }
  } finally {
    await client.logout().catch(() => {});
  }
}

/** Every 3 s until the deadline, a child process holds the write lock for HOLD_MS; resolves with how many holds ran. */
async function holder(file: string, deadline: number): Promise<number> {
  let holds = 0;
  while (Date.now() + 3000 < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 3000 - HOLD_MS));
    const hold = await holdWriteLock(file, HOLD_MS);
    await hold.released;
    holds++;
  }
  return holds;
}

async function main(): Promise<void> {
  const dns = await startDnsServer({});
  const postern = await startInstance('sqlite', {
    listen: ['smtp', 'lmtp', 'imap', 'metrics', 'mta_metrics'],
    settings: [
      ['dns.servers', `["${dns.address}"]`],
      ['dns.timeout_ms', '1000'],
      ['smtpd.mynetworks', '["127.0.0.1/32"]'],
      ['limits.smtpd_client_connection_count_limit', String(SENDERS * 4)],
    ],
    roles: ['mailstore', 'mta'],
  });
  try {
    const user = await postern.addUser(USER, PASSWORD);
    for (let n = 0; n < SEEDED; n++) await postern.deliver(user, `From: seed@example.org\r\nTo: ${USER}\r\nSubject: seed ${n}\r\n\r\n${body(n)}`);
    const inbox = (await postern.store.getMailbox(user.id, 'INBOX'))!;
    const mailstore = new StallWatch(postern.ports.metrics);
    const mta = new StallWatch(postern.ports.mta_metrics);
    // The first scrape resets the gauges: the start-up (migration, TLS keys) is not counted.
    await Promise.all([mailstore.scrape(), mta.scrape()]);
    mailstore.maxMs = mta.maxMs = mailstore.p99Ms = mta.p99Ms = 0;

    const smtpCounts = { accepted: 0, temporary: 0, failed: 0 };
    const imapCounts = { ops: 0, refused: 0 };
    // A control: this process does no store work during the run, so its own stalls are the machine's (CPU starvation).
    const control = monitorEventLoopDelay({ resolution: 10 });
    control.enable();
    const started = performance.now();
    const deadline = Date.now() + SECONDS * 1000;
    const scraper = setInterval(() => void Promise.all([mailstore.scrape(), mta.scrape()]).catch(() => {}), 1000);
    try {
      const file = postern.storeOptions.backend === 'sqlite' ? postern.storeOptions.path : '';
      const holding = HOLD_MS > 0 ? holder(file, deadline) : Promise.resolve(0);
      await Promise.all([
        holding,
        ...Array.from({ length: SENDERS }, (_, i) => sender(postern.ports.smtp, deadline, smtpCounts, i)),
        ...Array.from({ length: IMAP_CLIENTS }, () => imapClient(postern.ports.imap, deadline, imapCounts)),
      ]);
    } finally {
      clearInterval(scraper);
    }
    const seconds = (performance.now() - started) / 1000;
    control.disable();
    await Promise.all([mailstore.scrape(), mta.scrape()]);
    const stored = (await postern.store.countMessages(inbox.id)) - SEEDED;

    console.log(`postern mta + postern mailstore on one SQLite file, ${seconds.toFixed(1)} s: ${SENDERS} SMTP senders (${SIZE} B messages), ${IMAP_CLIENTS} IMAP clients (SELECT/FETCH/STORE)${HOLD_MS > 0 ? `, a third process holding the write lock ${HOLD_MS} ms every 3 s` : ''}`);
    console.table({
      smtp: { 'msg/s': +(smtpCounts.accepted / seconds).toFixed(1), accepted: smtpCounts.accepted, '4xx': smtpCounts.temporary, other: smtpCounts.failed, stored },
      imap: { 'ops/s': +(imapCounts.ops / seconds).toFixed(1), ops: imapCounts.ops, refused: imapCounts.refused },
    });
    console.table({
      'postern mailstore': { 'longest stall ms': +mailstore.maxMs.toFixed(1), 'worst p99 ms': +mailstore.p99Ms.toFixed(1), scrapes: mailstore.scrapes },
      'postern mta': { 'longest stall ms': +mta.maxMs.toFixed(1), 'worst p99 ms': +mta.p99Ms.toFixed(1), scrapes: mta.scrapes },
      'bench clients (control)': { 'longest stall ms': +Math.max(0, control.max / 1e6 - 10).toFixed(1), 'worst p99 ms': +Math.max(0, control.percentile(99) / 1e6 - 10).toFixed(1) },
    });
    if (stored !== smtpCounts.accepted) console.log(`!! ${smtpCounts.accepted} messages got 250 but ${stored} are stored`);
  } finally {
    await postern.stop();
    await dns.stop();
  }
}

await main();
