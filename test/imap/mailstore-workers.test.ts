// `postern mailstore` with [limits] mailstore_processes = 2 (Dovecot's process_limit): a primary and
// two workers sharing the listeners (node:cluster). Real clients over real sockets prove that the
// connections are spread over both workers, that an IDLE session hears a delivery made through the
// other worker, that UIDs stay unique and dense (RFC 3501 §2.3.1.1: strictly ascending) under
// concurrent LMTP and APPEND through both, that a worker killed with SIGKILL is replaced while the
// others serve on, that SIGHUP reaches every worker (one still starting, once it is ready), that a per-address cap holds for the whole
// mailstore, and that SIGTERM stops everything with exit code 0.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { LmtpClient } from '../../apps/mailstore/test/lmtp-client.js';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { childProcesses } from '../support/proc.js';
import { PASSWORD, testMessage } from './mailstore-process.js';
import { TaggedSession } from './tagged-session.js';

type Instance = PosternInstance<'imap' | 'lmtp' | 'metrics'>;

const ADDRESS = 'alice@example.com';

function flow(port: number): ImapFlow {
  return new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: true, auth: { user: ADDRESS, pass: PASSWORD }, logger: false, tls: { rejectUnauthorized: false } });
}

async function lmtpDeliver(port: number, messages: string[]): Promise<void> {
  const { client } = await LmtpClient.open({ host: '127.0.0.1', port });
  await client.lhlo();
  for (const message of messages) {
    const { data } = await client.send('sender@example.org', [ADDRESS], message);
    assert.equal(data[0]?.code, 250, data[0]?.raw);
  }
  await client.quit();
}

async function loggedIn(port: number): Promise<TaggedSession> {
  const session = await TaggedSession.open(port, true);
  const login = await session.command(`LOGIN ${ADDRESS} "${PASSWORD}"`);
  assert.equal(login.status, 'OK', login.lines.join('\n'));
  return session;
}

/** The worker ids of the log lines that match. */
function workersOf(instance: Instance, match: (line: Record<string, unknown>) => boolean): Set<unknown> {
  return new Set(instance.logLines().filter(match).map((line) => line['worker']));
}

/** Waits for /readyz to answer 200 (every worker bound again), failing at `deadline`. */
async function readyAgain(instance: Instance, deadline: number): Promise<void> {
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${instance.ports.metrics}/readyz`);
    if (ready.status === 200) return;
    assert.ok(Date.now() < deadline, 'not ready again in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern mailstore with two processes on ${backend}`, () => {
    let mail: Instance;
    let primary: number;

    before(async () => {
      mail = await startInstance(backend, { listen: ['imap', 'lmtp', 'metrics'], roles: ['mailstore'], settings: [['limits.mailstore_processes', '2']] });
      await mail.addUser(ADDRESS, PASSWORD);
      primary = mail.processes[0]!.pid;
    });
    after(() => mail?.stop());

    test('two workers serve the connections, and /readyz and /metrics answer for all of them', async () => {
      const workers = childProcesses(primary);
      assert.equal(workers.length, 2, JSON.stringify(workers));
      const sessions = await Promise.all([1, 2, 3, 4].map(() => loggedIn(mail.ports.imap)));
      for (const session of sessions) await session.command('LOGOUT');
      const serving = workersOf(mail, (line) => line['event'] === 'connect' && line['service'] === 'imap');
      assert.equal(serving.size, 2, `connections served by workers ${[...serving].join(', ')}`);
      const ready = await fetch(`http://127.0.0.1:${mail.ports.metrics}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
      const metrics = await (await fetch(`http://127.0.0.1:${mail.ports.metrics}/metrics`)).text();
      // The workers' counters, summed: 4 IMAP connections (and any earlier ones).
      const imapConnections = Number(/^postern_connections_total\{service="imap"\} (\d+)$/m.exec(metrics)?.[1]);
      assert.ok(imapConnections >= 4, metrics);
      assert.equal(metrics.match(/^# TYPE postern_connections_total /gm)?.length, 1, 'each family once');
    });

    test('IDLE on one worker hears an LMTP delivery made through the other', async (t) => {
      const client = flow(mail.ports.imap);
      await client.connect();
      const lock = await client.getMailboxLock('INBOX');
      try {
        const before = client.mailbox ? client.mailbox.exists : 0;
        let exists = before;
        let heard: () => void = () => {};
        client.on('exists', (data: { count: number }) => {
          exists = data.count;
          heard();
        });
        void client.idle();
        // Round-robin: two LMTP connections in a row go to the two workers, so one is the other worker.
        for (let n = 1; n <= 2; n++) {
          const arrived = new Promise<void>((resolve) => (heard = resolve));
          const started = Date.now();
          await lmtpDeliver(mail.ports.lmtp, [testMessage(n, `idle ${n}`)]);
          const sent = Date.now();
          await Promise.race([arrived, new Promise((_, reject) => setTimeout(() => reject(new Error(`no EXISTS for delivery ${n} within 5 s`)), 5000))]);
          t.diagnostic(`delivery ${n}: EXISTS ${Date.now() - sent} ms after the LMTP reply (${sent - started} ms to deliver)`);
          assert.equal(exists, before + n);
        }
      } finally {
        lock.release();
      }
      await client.logout();
      // The two deliveries (the first of this file) were made by both workers: one of them is not the IDLE session's.
      const delivering = workersOf(mail, (line) => String(line['msg']).startsWith(`delivered ${ADDRESS}`));
      assert.equal(delivering.size, 2, `the deliveries came through workers ${[...delivering].join(', ')}`);
    });

    test('UIDs stay unique and dense under 200 concurrent LMTP deliveries and APPENDs through both workers', async () => {
      const session = await loggedIn(mail.ports.imap);
      assert.equal((await session.command('CREATE Load')).status, 'OK');
      const lmtp = Array.from({ length: 12 }, (_, c) => lmtpDeliver(mail.ports.lmtp, Array.from({ length: 10 }, (_, i) => testMessage(1000 + c * 10 + i, 'load'))));
      const appends = Array.from({ length: 4 }, async (_, c) => {
        const appender = await loggedIn(mail.ports.imap);
        for (let i = 0; i < 20; i++) assert.equal((await appender.append('INBOX', Buffer.from(testMessage(2000 + c * 20 + i, 'load')))).status, 'OK');
        await appender.command('LOGOUT');
      });
      await Promise.all([...lmtp, ...appends]);
      const select = await session.command('SELECT INBOX');
      assert.equal(select.status, 'OK');
      const search = await session.command('UID SEARCH ALL');
      const uids = (search.lines.find((line) => line.startsWith('* SEARCH'))?.slice('* SEARCH'.length).trim().split(' ') ?? []).map(Number);
      // Two messages came before (the IDLE test): 202 in all, 1..202 with no gap and no duplicate.
      assert.deepEqual(uids, Array.from({ length: 202 }, (_, i) => i + 1));
      await session.command('LOGOUT');
    });

    test('a worker killed with SIGKILL is replaced, the other serves on, nothing delivered is lost', async () => {
      const [victim, survivor] = childProcesses(primary);
      assert.ok(victim && survivor);
      process.kill(victim.pid, 'SIGKILL');
      await mail.waitForLog((line) => typeof line['msg'] === 'string' && (line['msg'] as string).includes('killed by SIGKILL'), 10_000);
      for (let i = 0; i < 2; i++) {
        const session = await loggedIn(mail.ports.imap);
        const select = await session.command('SELECT INBOX');
        assert.ok(select.lines.includes('* 202 EXISTS'), select.lines.join('\n'));
        await session.command('LOGOUT');
      }
      const deadline = Date.now() + 20_000;
      while (!(childProcesses(primary).length === 2 && !childProcesses(primary).some((child) => child.pid === victim.pid))) {
        assert.ok(Date.now() < deadline, 'no replacement worker within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await readyAgain(mail, deadline);
      assert.ok(childProcesses(primary).some((child) => child.pid === survivor.pid), 'the other worker was untouched');
      await lmtpDeliver(mail.ports.lmtp, [testMessage(3000, 'after the kill')]);
      assert.equal((await mail.inbox(ADDRESS)).length, 203);
    });

    test('SIGHUP reaches every worker: a lowered max_connections_per_ip holds for the whole mailstore', async () => {
      await mail.run(['config', 'set', 'limits.max_connections_per_ip', '3']);
      await mail.run(['reload']);
      const reloaded = (): Set<unknown> => workersOf(mail, (line) => line['event'] === 'config_reload' && line['outcome'] === 'applied' && typeof line['worker'] === 'number');
      const deadline = Date.now() + 10_000;
      while (reloaded().size < 2) {
        assert.ok(Date.now() < deadline, `only workers ${[...reloaded()].join(', ')} reloaded`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      // Three unauthenticated connections are spread over both workers and all get a greeting.
      const open = await Promise.all([1, 2, 3].map(() => TaggedSession.open(mail.ports.imap, false)));
      const fourth = await TaggedSession.open(mail.ports.imap, false).catch((error: Error) => error);
      // The refusal (a BYE greeting, RFC 3501 §7.1.5) reaches the log on the worker's own schedule.
      const isRefusal = (line: Record<string, unknown>): boolean => line['event'] === 'connection_limit' && line['limit'] === 'address';
      await mail.waitForLog(isRefusal, 10_000);
      const refusals = mail.logLines().filter(isRefusal);
      assert.equal(refusals.length, 1, `only the fourth is refused (${fourth instanceof Error ? fourth.message : 'it had an answer'})`);
      assert.match(String(refusals[0]!['msg']), /max_connections_per_ip=3/, 'the refusing worker names the reloaded limit');
      for (const session of open) session.close();
      if (!(fourth instanceof Error)) fourth.close();
      await mail.run(['config', 'set', 'limits.max_connections_per_ip', '20']);
      await mail.run(['reload']);
    });

    test('a worker still starting at a SIGHUP is sent it once it is ready, and reloads', async () => {
      const [victim] = childProcesses(primary);
      assert.ok(victim);
      const before = new Set(childProcesses(primary).map((child) => child.pid));
      process.kill(victim.pid, 'SIGKILL');
      await mail.waitForLog((line) => line['pid'] === victim.pid && String(line['msg']).includes('killed by SIGKILL'), 10_000);
      // The replacement takes a while to load after its fork: a SIGHUP then finds it starting.
      const deadline = Date.now() + 20_000;
      while (!childProcesses(primary).some((child) => child.pid !== victim.pid && !before.has(child.pid))) {
        assert.ok(Date.now() < deadline, 'no replacement worker within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      process.kill(primary, 'SIGHUP');
      const caughtUp = await mail.waitForLog((line) => String(line['msg']).includes('was starting at a SIGHUP'), 20_000);
      const replacement = caughtUp['worker'];
      await mail.waitForLog((line) => line['event'] === 'config_reload' && line['worker'] === replacement, 10_000);
      await readyAgain(mail, Date.now() + 20_000);
    });

    test('SIGTERM stops the workers and the primary exits 0', async () => {
      const workers = childProcesses(primary);
      const code = await mail.processes[0]!.stop();
      assert.equal(code, 0, mail.output().slice(-2000));
      for (const worker of workers) assert.throws(() => process.kill(worker.pid, 0), 'the worker is gone');
      assert.ok(mail.logLines().filter((line) => line['msg'] === 'stopped').length >= 3, 'the primary and both workers said stopped');
    });
  });
}
