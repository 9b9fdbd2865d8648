// Outbound (SPEC §6 "Submission", issue 5): messages/s from authenticated
// submission (STARTTLS + AUTH PLAIN + DKIM signing) through the queue to
// Postfix's smtp-sink on loopback, found through the MX of a local DNS
// server; and the time from the start of one submission until smtp-sink has
// the message. A script, never a test:
//   node --import tsx apps/mta/bench/outbound.ts [--messages 500] [--connections 10] [--size 5120] [--latency 20] [--backend sqlite|mongodb|both]
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { startMtaInstance, type MtaInstance } from '../../../test/mta/instance.js';
import { freePort } from '../../../test/support/ports.js';
import { findTool } from '../../../test/support/tools.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '500' },
    connections: { type: 'string', default: '10' },
    size: { type: 'string', default: '5120' },
    latency: { type: 'string', default: '20' },
    backend: { type: 'string', default: 'both' },
  },
});
const MESSAGES = Number(values.messages);
const CONNECTIONS = Number(values.connections);
const SIZE = Number(values.size);
const LATENCY_SAMPLES = Number(values.latency);
const SINK_HOST = '127.0.0.41';
const PASSWORD = 'bench password';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** smtp-sink dumping every message into its own file: the file count is the number accepted. */
async function startSink(port: number): Promise<{ dir: string; count(): number; stop(): void }> {
  const sink = findTool('smtp-sink');
  if (sink === null) throw new Error('smtp-sink is not installed (Debian package postfix)');
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-sink-'));
  chmodSync(dir, 0o777);
  const child = spawn(sink, ['-u', 'nobody', '-d', `${dir}/`, `${SINK_HOST}:${port}`, '256'], { stdio: 'ignore' });
  await sleep(300);
  return {
    dir,
    count: () => readdirSync(dir).length,
    stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * nodemailer leaves Nagle's algorithm on: its last small write of a message
 * then waits for the server's delayed ACK (40 ms a message). Real MUAs and
 * MTAs set TCP_NODELAY; so does the bench, to measure the server, not that.
 */
function noDelaySocket(options: { host: string; port: number }, callback: (error: Error | null, socket?: { connection: ReturnType<typeof connect> }) => void): void {
  const socket = connect(options.port, options.host);
  socket.setNoDelay(true);
  socket.once('connect', () => callback(null, { connection: socket }));
  socket.once('error', (error) => callback(error));
}

function transport(mta: MtaInstance, pooled: boolean) {
  return nodemailer.createTransport({
    getSocket: noDelaySocket,
    host: '127.0.0.1',
    port: mta.ports.submission,
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: 'bench@example.com', pass: PASSWORD },
    ...(pooled ? { pool: true, maxConnections: CONNECTIONS, maxMessages: Infinity } : {}),
  } as nodemailer.TransportOptions);
}

async function waitFor(count: () => number, target: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (count() < target) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

async function run(backend: 'sqlite' | 'mongodb'): Promise<string[]> {
  const port = await freePort();
  const sink = await startSink(port);
  const mta = await startMtaInstance(backend, {
    settings: [['smtp.port', String(port)], ['limits.smtpd_client_connection_count_limit', String(CONNECTIONS * 4)], ['queue.queue_run_delay', '"1s"']],
    zone: { 'sink.test': { MX: [{ exchange: 'mx.sink.test', priority: 10 }] }, 'mx.sink.test': { A: [SINK_HOST] } },
  });
  try {
    await mta.addUser('bench@example.com', PASSWORD);
    const body = 'x'.repeat(76) + '\r\n';
    const text = body.repeat(Math.max(1, Math.floor(SIZE / body.length)));

    // Time from the start of one submission until the remote has it, one at a time.
    const single = transport(mta, false);
    const latencies: number[] = [];
    const afterAccept: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const before = sink.count();
      const started = process.hrtime.bigint();
      await single.sendMail({ from: 'bench@example.com', to: `r${i}@sink.test`, subject: `latency ${i}`, text });
      const accepted = process.hrtime.bigint();
      if (!(await waitFor(sink.count, before + 1, 30_000))) throw new Error('smtp-sink did not get the message within 30 s');
      const done = process.hrtime.bigint();
      latencies.push(Number(done - started) / 1e6);
      afterAccept.push(Number(done - accepted) / 1e6);
    }
    single.close();
    latencies.sort((a, b) => a - b);
    afterAccept.sort((a, b) => a - b);

    // Throughput: MESSAGES over CONNECTIONS pooled sessions; the clock stops when smtp-sink has them all.
    const pooled = transport(mta, true);
    const before = sink.count();
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: MESSAGES }, (_, i) => pooled.sendMail({ from: 'bench@example.com', to: `t${i}@sink.test`, subject: `throughput ${i}`, text })));
    const submitted = Number(process.hrtime.bigint() - started) / 1e9;
    const complete = await waitFor(sink.count, before + MESSAGES, 600_000);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    pooled.close();
    const delivered = sink.count() - before;
    const pct = (p: number, of = latencies) => of[Math.min(of.length - 1, Math.floor((of.length * p) / 100))]!.toFixed(0);
    return [
      `${backend.padEnd(8)} submitted ${MESSAGES} in ${submitted.toFixed(2)} s (${(MESSAGES / submitted).toFixed(0)} msg/s accepted)`,
      `${''.padEnd(8)} at smtp-sink ${delivered}/${MESSAGES}${complete ? '' : ' (TIMED OUT)'} after ${seconds.toFixed(2)} s: ${(delivered / seconds).toFixed(0)} msg/s end to end`,
      `${''.padEnd(8)} submission (connect, STARTTLS, AUTH, send) → remote acceptance, ${LATENCY_SAMPLES} single messages: median ${pct(50)} ms, p90 ${pct(90)} ms, max ${latencies[latencies.length - 1]!.toFixed(0)} ms`,
      `${''.padEnd(8)} of which after our 250 (queue → MX → smtp-sink): median ${pct(50, afterAccept)} ms, p90 ${pct(90, afterAccept)} ms`,
    ];
  } finally {
    await mta.stop();
    sink.stop();
  }
}

const backends = values.backend === 'both' ? (['sqlite', 'mongodb'] as const) : ([values.backend === 'mongodb' ? 'mongodb' : 'sqlite'] as const);
console.log(`Outbound: ${MESSAGES} × ${SIZE} B over ${CONNECTIONS} submission connections (STARTTLS + AUTH + DKIM) → queue → MX → smtp-sink`);
for (const backend of backends) for (const line of await run(backend)) console.log(line);
