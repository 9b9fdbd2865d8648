// Runners in separate OS processes on one store: leases keep them from delivering an entry twice,
// and an entry whose runner was killed mid-delivery is delivered once by another after lease_time.
// This file is also the child program: forked with POSTERN_RUNNER_CHILD set, it runs one runner.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { after, afterEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createResolver } from '@postern/dns';
import { openStore } from '@postern/store';
import { QueueRunner, enqueueMessage } from '../src/index.js';
import {
  BACKENDS,
  SENDER,
  StoreHost,
  captureLogger,
  openWorld,
  queueEmpty,
  receivedBy,
  testConfig,
  testMessage,
  waitFor,
  type StoreLocation,
  type World,
  type WorldOptions,
} from './runner-world.js';

/** What the parent tells a child. */
interface Job {
  location: StoreLocation;
  dns: string;
  port: number;
  owner: string;
  queue: Record<string, string | number>;
  smtp: Record<string, string | number>;
}

/** What a child reports when told to stop: the entries it finished. */
interface Report {
  removed: number;
}

const CHILD_ENV = 'POSTERN_RUNNER_CHILD';

/** The child: a runner on the shared store, started on 'go', stopped on 'stop'. */
async function runChild(job: Job): Promise<void> {
  const store = await openStore(job.location);
  const config = testConfig(job.dns, job.port, job.queue, job.smtp);
  const { logger, lines } = captureLogger();
  const runner = new QueueRunner({
    config,
    store,
    resolver: createResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, dnssecTrusted: config.dns.dnssec_trusted }),
    logger,
    lmtp: { kind: 'tcp', host: '127.0.0.1', port: 9 },
    owner: job.owner,
  });
  process.on('message', (message) => {
    if (message === 'go') runner.start();
    if (message === 'stop') {
      void (async () => {
        await runner.stop();
        await store.close();
        const report: Report = { removed: lines.filter((line) => line.event === 'removed').length };
        process.send?.(report, () => process.disconnect());
      })();
    }
  });
  process.send?.('ready');
}

const childJob = process.env[CHILD_ENV];
if (childJob !== undefined) {
  await runChild(JSON.parse(childJob) as Job);
} else {
  const self = fileURLToPath(import.meta.url);
  const packageDir = fileURLToPath(new URL('..', import.meta.url));

  interface Child {
    process: ChildProcess;
    exited: Promise<number | string | null>;
    /** Sends 'stop' and resolves with the child's report once it exits. */
    stop(): Promise<Report>;
  }

  /** Forks a runner process and resolves once it is ready (its store is open). */
  const startChild = async (world: World, owner: string, queue: Record<string, string | number>, smtp: Record<string, string | number> = {}): Promise<Child> => {
    const job: Job = { location: world.location, dns: world.dns.address, port: world.remote.port, owner, queue, smtp };
    const child = fork(self, [], {
      cwd: packageDir,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, [CHILD_ENV]: JSON.stringify(job) },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    let report: Report | null = null;
    child.on('message', (message) => {
      if (typeof message === 'object' && message !== null) report = message as Report;
    });
    await Promise.race([
      new Promise<void>((resolve) => child.once('message', () => resolve())),
      exited.then((how) => Promise.reject(new Error(`runner process exited before it was ready (${how}): ${stderr}`))),
    ]);
    return {
      process: child,
      exited,
      async stop() {
        child.send('stop');
        const how = await exited;
        if (how !== 0 || report === null) throw new Error(`runner process ended with ${how}: ${stderr}`);
        return report;
      },
    };
  };

  for (const backend of BACKENDS) {
    describe(`queue runners in separate processes on ${backend}`, () => {
      const host = new StoreHost(backend);
      let world: World | null = null;
      const children: Child[] = [];
      const open = async (options?: WorldOptions): Promise<World> => {
        world = await openWorld(host, options);
        return world;
      };
      afterEach(async () => {
        for (const child of children.splice(0)) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
        await world?.close();
        world = null;
      });
      after(() => host.close());

      test('runs against a real store', async (t) => {
        t.diagnostic(await host.describe());
      });

      test('two runner processes on one store deliver each of 30 entries exactly once', { timeout: 120_000 }, async (t) => {
        const w = await open();
        for (let i = 0; i < 30; i++) {
          await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: `proc${i}@dest.test` }], message: testMessage(`mproc${i}`) });
        }
        // A small process_limit makes each process lease a few entries at a time, so that both compete for the queue.
        const smtp = { process_limit: 3 };
        const pair = await Promise.all([startChild(w, 'process-a', {}, smtp), startChild(w, 'process-b', {}, smtp)]);
        children.push(...pair);
        const started = Date.now();
        for (const child of pair) child.process.send('go');
        await waitFor('an empty queue', () => queueEmpty(w.store), 60_000);
        const elapsed = Date.now() - started;
        const reports = await Promise.all(pair.map((child) => child.stop()));

        for (let i = 0; i < 30; i++) assert.equal(receivedBy(w.remote, `proc${i}@dest.test`).length, 1, `proc${i} delivered once`);
        assert.equal(w.remote.received.length, 30);
        assert.equal(reports.reduce((sum, report) => sum + report.removed, 0), 30, 'each entry finished by exactly one process');
        assert.ok(reports.every((report) => report.removed > 0), 'both processes took part');
        t.diagnostic(`30 entries in ${elapsed} ms; process a finished ${reports[0]?.removed}, process b ${reports[1]?.removed}`);
      });

      test('a runner process killed (SIGKILL) while the remote stalls in DATA: another runner delivers the entry exactly once after lease_time', { timeout: 120_000 }, async (t) => {
        const queue = { lease_time: '2s' };
        const w = await open({ remote: { stall: 'once' }, queue });
        const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'stall9@dest.test' }], message: testMessage('mcrash') });
        const doomed = await startChild(w, 'process-doomed', queue);
        children.push(doomed);
        const data = w.remote.nextData();
        doomed.process.send('go');
        await data;
        doomed.process.kill('SIGKILL');
        assert.equal(await doomed.exited, 'SIGKILL');
        const killedAt = Date.now();

        const leased = await w.store.getQueueEntry(entry.id);
        assert.equal(leased?.leaseOwner, 'process-doomed', 'the dead runner still holds the lease');
        assert.equal(leased?.recipients[0]?.status, 'pending');
        assert.equal(w.remote.received.length, 0, 'the stalled transaction never completed');

        w.runner({ owner: 'survivor' }).start();
        await waitFor('the delivery', () => receivedBy(w.remote, 'stall9@dest.test')[0], 30_000);
        const deliveredAt = Date.now();
        await waitFor('an empty queue', () => queueEmpty(w.store));
        assert.ok(leased?.leaseUntil && deliveredAt >= leased.leaseUntil.getTime(), 'not before the lease expired');
        // Give a stray second delivery the chance to show itself.
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(receivedBy(w.remote, 'stall9@dest.test').length, 1, 'the remote counts one completed message');
        assert.equal(w.remote.received.length, 1);
        t.diagnostic(`delivered ${deliveredAt - killedAt} ms after the kill (lease_time 2 s)`);
      });

      test('outcomes are recorded as each destination answers: killed (SIGKILL) while one domain stalls in DATA, the next runner sends only to that one', { timeout: 120_000 }, async (t) => {
        const queue = { lease_time: '2s' };
        const w = await open({ remote: { stall: 'once' }, queue });
        const entry = await enqueueMessage(w.store, {
          from: SENDER,
          recipients: [{ address: 'fast1@sender.test' }, { address: 'stall1@dest.test' }],
          message: testMessage('mrecord'),
        });
        const doomed = await startChild(w, 'process-doomed', queue);
        children.push(doomed);
        doomed.process.send('go');
        // The fast domain's 250 is in the store while the other domain's transaction still waits in DATA.
        const recorded = await waitFor('the fast domain recorded as delivered', async () => {
          const current = await w.store.getQueueEntry(entry.id);
          return current?.recipients.find((r) => r.address === 'fast1@sender.test')?.status === 'delivered' ? current : undefined;
        });
        assert.equal(receivedBy(w.remote, 'fast1@sender.test').length, 1);
        doomed.process.kill('SIGKILL');
        assert.equal(await doomed.exited, 'SIGKILL');
        assert.equal(recorded.leaseOwner, 'process-doomed', 'recorded under the lease, which the attempt kept');
        assert.equal(recorded.recipients.find((r) => r.address === 'stall1@dest.test')?.status, 'pending');
        assert.match(recorded.recipients.find((r) => r.address === 'fast1@sender.test')?.lastResponse ?? '', /^250 /);
        assert.equal(receivedBy(w.remote, 'stall1@dest.test').length, 0, 'the stalled transaction never completed');

        w.runner({ owner: 'survivor' }).start();
        await waitFor('the stalled recipient delivered', () => receivedBy(w.remote, 'stall1@dest.test')[0], 30_000);
        await waitFor('an empty queue', () => queueEmpty(w.store));
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(receivedBy(w.remote, 'fast1@sender.test').length, 1, 'the domain that had accepted gets no second copy');
        assert.equal(receivedBy(w.remote, 'stall1@dest.test').length, 1);
        const resent = w.remote.received.filter((message) => message.from === SENDER).at(-1);
        assert.deepEqual(resent?.to, ['stall1@dest.test'], 'the second attempt names only the recipient without a recorded outcome');
        t.diagnostic(`second attempt sent to ${JSON.stringify(resent?.to)}`);
      });
    });
  }
}
