// `postern queue` end to end (SPEC §3): entries put in with store.enqueue as
// the MTA puts them, then listed, shown, flushed, held, released and deleted
// through the built CLI on both store backends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig, storeOptions } from '@postern/config';
import { openStore, type QueueEntry, type Store } from '@postern/store';
import { initInstance, type CliInstance } from './backends.js';

function assertOneLineError(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, `expected exit 1, got ${result.code}: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', pattern);
}

interface ListedEntry {
  id: string;
  from: string;
  size: number;
  createdAt: string;
  nextAttemptAt: string;
  attempts: number;
  held: boolean;
  active: boolean;
  recipients: { address: string; status: string; lastResponse: string | null }[];
}

const MESSAGE = 'From: alice@example.com\r\nTo: bob@example.net\r\nSubject: queued for a while\r\n\r\nThe body stays out of queue show without --body.\r\n';
const DEFERRED = '421 4.4.2 mx.example.net[127.0.0.5]:25: timeout after DATA';

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern queue on ${backend}`, () => {
    let instance: CliInstance;
    let run: CliInstance['run'];
    let store: Store;
    let deferred: QueueEntry;
    let bounce: QueueEntry;

    before(async () => {
      instance = await initInstance(backend);
      run = instance.run;
      store = await openStore(storeOptions(loadConfig(instance.configFile)));
      console.log(`queue CLI on ${backend}: ${instance.server}`);
    });
    after(async () => {
      await store?.close();
      await instance?.dispose();
    });

    async function list(): Promise<ListedEntry[]> {
      const result = await run(['queue', 'list', '--json']);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as ListedEntry[];
    }

    it('says the mail queue is empty, and lists [] as JSON', async () => {
      const result = await run(['queue', 'list']);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'Mail queue is empty\n');
      assert.deepEqual(await list(), []);
    });

    it('lists entries as mailq does: id, size, arrival, sender, each recipient with its status and last reply', async () => {
      const queued = await store.enqueue({ from: 'alice@example.com', recipients: [{ address: 'bob@example.net' }, { address: 'carol@example.org' }], parts: [Buffer.from(MESSAGE)] });
      const patched = await store.updateQueueEntry(
        queued.id,
        { attempts: 2, recipients: [{ address: 'bob@example.net', status: 'deferred', lastResponse: DEFERRED }, { address: 'carol@example.org', status: 'pending', lastResponse: null }] },
        null,
      );
      assert.ok(patched);
      deferred = patched;
      bounce = await store.enqueue({ from: '', recipients: [{ address: 'dave@example.net' }], parts: [Buffer.from('Subject: Undelivered Mail Returned to Sender\r\n\r\nx\r\n')] });

      const result = await run(['queue', 'list']);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^-Queue ID- +--Size-- ----Arrival Time---- -Sender\/Recipient-------$/);
      const first = lines.findIndex((l) => l.startsWith(deferred.id));
      assert.match(lines[first] ?? '', new RegExp(`^${deferred.id} +${deferred.size} [A-Z][a-z]{2} [A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d +alice@example\\.com$`));
      assert.equal(lines[first + 1], `(${DEFERRED})`);
      assert.match(lines[first + 2] ?? '', /^ {20,}bob@example\.net {2}deferred$/);
      assert.match(lines[first + 3] ?? '', /^ {20,}carol@example\.org {2}pending$/);
      assert.match(result.stdout, new RegExp(`^${bounce.id} +\\d+ .+ MAILER-DAEMON$`, 'm'), 'the null sender shows as MAILER-DAEMON');
      assert.equal(lines.at(-1), '-- 1 Kbytes in 2 Requests.');
    });

    it('lists the same entries as JSON that parses, oldest first', async () => {
      const entries = await list();
      assert.deepEqual(entries.map((e) => e.id), [deferred.id, bounce.id]);
      const [first] = entries;
      assert.equal(first?.from, 'alice@example.com');
      assert.equal(first?.size, Buffer.byteLength(MESSAGE));
      assert.equal(first?.attempts, 2);
      assert.equal(first?.held, false);
      assert.equal(first?.active, false);
      assert.equal(new Date(first?.createdAt ?? '').getTime(), deferred.createdAt.getTime());
      assert.deepEqual(first?.recipients, [
        { address: 'bob@example.net', status: 'deferred', lastResponse: DEFERRED },
        { address: 'carol@example.org', status: 'pending', lastResponse: null },
      ]);
      assert.equal(entries[1]?.from, '');
    });

    it('shows one entry with the message headers only, and the whole message with --body', async () => {
      const shown = await run(['queue', 'show', deferred.id]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, new RegExp(`^id: +${deferred.id}$`, 'm'));
      assert.match(shown.stdout, /^sender: +alice@example\.com$/m);
      assert.match(shown.stdout, /^recipients: bob@example\.net {2}deferred {2}\(421 4\.4\.2 .*timeout after DATA\)$/m);
      assert.match(shown.stdout, /^ +carol@example\.org {2}pending$/m);
      assert.match(shown.stdout, /^Subject: queued for a while\r$/m);
      assert.doesNotMatch(shown.stdout, /The body stays out/);

      const whole = await run(['queue', 'show', deferred.id, '--body']);
      assert.equal(whole.code, 0, whole.stderr);
      assert.ok(whole.stdout.endsWith(MESSAGE), 'the message follows the entry, byte for byte');
    });

    it('shows the policy each recipient\'s last attempt went under (MTA-STS mode or TLS level), as the runner records it', async () => {
      const at = new Date().toISOString();
      const attempts = [{ address: 'bob@example.net', dsn: '4.7.5', relay: 'mx.example.net[127.0.0.5]:25', remote: false, at, policy: 'mta-sts:enforce' }];
      const patched = await store.updateQueueEntry(deferred.id, { meta: { ...(deferred.meta ?? {}), attempts } }, null);
      assert.ok(patched);
      deferred = patched;
      const shown = await run(['queue', 'show', deferred.id]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /^recipients: bob@example\.net {2}deferred {2}policy=mta-sts:enforce {2}\(421 4\.4\.2 .*timeout after DATA\)$/m);
      assert.match(shown.stdout, /^ +carol@example\.org {2}pending$/m);
      const json = JSON.parse((await run(['queue', 'show', deferred.id, '--json'])).stdout) as { meta: { attempts: { policy?: string }[] } };
      assert.equal(json.meta.attempts[0]?.policy, 'mta-sts:enforce');
    });

    it('shows one entry as JSON with its headers, or the whole message with --body', async () => {
      const shown = JSON.parse((await run(['queue', 'show', deferred.id, '--json'])).stdout) as ListedEntry & { headers: string; message?: string };
      assert.equal(shown.id, deferred.id);
      assert.equal(shown.headers, 'From: alice@example.com\r\nTo: bob@example.net\r\nSubject: queued for a while\r\n');
      assert.equal(shown.message, undefined);
      const whole = JSON.parse((await run(['queue', 'show', deferred.id, '--json', '--body'])).stdout) as { message: string };
      assert.equal(whole.message, MESSAGE);
    });

    it('refuses an unknown queue id with one line, for show, hold, release and delete', async () => {
      for (const command of ['show', 'hold', 'release', 'delete']) {
        assertOneLineError(await run(['queue', command, '0123456789abcdef01234567']), /^postern: no queue entry 0123456789abcdef01234567$/);
      }
    });

    it('holds an entry (marked "!"), which flush leaves alone, and releases it', async () => {
      const held = await run(['queue', 'hold', deferred.id]);
      assert.equal(held.code, 0, held.stderr);
      assert.equal((await store.getQueueEntry(deferred.id))?.held, true);
      assert.match((await run(['queue', 'list'])).stdout, new RegExp(`^${deferred.id}! `, 'm'));
      assert.equal((await list()).find((e) => e.id === deferred.id)?.held, true);

      const released = await run(['queue', 'release', deferred.id]);
      assert.equal(released.code, 0, released.stderr);
      assert.equal((await store.getQueueEntry(deferred.id))?.held, false);
      assert.match((await run(['queue', 'list'])).stdout, new RegExp(`^${deferred.id} `, 'm'));
    });

    it('flushes: every entry not on hold is due now, and it says how many and within what time an MTA takes them', async () => {
      const hour = new Date(Date.now() + 3_600_000);
      const later = await store.enqueue({ from: 'alice@example.com', recipients: [{ address: 'erin@example.net' }], parts: [Buffer.from(MESSAGE)], nextAttemptAt: hour });
      const parked = await store.enqueue({ from: 'alice@example.com', recipients: [{ address: 'erin@example.net' }], parts: [Buffer.from(MESSAGE)], nextAttemptAt: hour });
      await store.setQueueHeld(parked.id, true);
      const flushed = await run(['queue', 'flush']);
      assert.equal(flushed.code, 0, flushed.stderr);
      assert.equal(flushed.stdout, '3 queue entries are due now; a running MTA delivers them within 5s (queue.queue_run_delay)\n');
      assert.ok(((await store.getQueueEntry(later.id))?.nextAttemptAt.getTime() ?? Infinity) <= Date.now());
      assert.equal((await store.getQueueEntry(parked.id))?.nextAttemptAt.getTime(), hour.getTime(), 'a held entry keeps its time');
      for (const id of [later.id, parked.id]) assert.equal((await run(['queue', 'delete', id])).code, 0);
    });

    it('marks an entry a delivery run holds the lease on with "*" (active in JSON)', async () => {
      const leased = await store.leaseQueueEntries('test-runner', new Date(), 60_000, 10);
      assert.ok(leased.some((e) => e.id === deferred.id));
      assert.match((await run(['queue', 'list'])).stdout, new RegExp(`^${deferred.id}\\* `, 'm'));
      assert.equal((await list()).find((e) => e.id === deferred.id)?.active, true);
      for (const entry of leased) await store.updateQueueEntry(entry.id, {}, 'test-runner');
      assert.equal((await list()).find((e) => e.id === deferred.id)?.active, false);
    });

    it('exits 2 for delete with neither an id nor --all, or with both', async () => {
      for (const args of [['queue', 'delete'], ['queue', 'delete', deferred.id, '--all']]) {
        const result = await run(args);
        assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, /exactly one of a queue id or --all/);
      }
      assert.ok(await store.getQueueEntry(deferred.id), 'nothing was deleted');
    });

    it('deletes one entry and releases its message', async () => {
      const [part] = deferred.parts;
      assert.ok(part);
      const refs = await store.blobRefs(part);
      const deleted = await run(['queue', 'delete', deferred.id]);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(deleted.stdout, `deleted ${deferred.id}\n`);
      assert.equal(await store.getQueueEntry(deferred.id), null);
      assert.equal(await store.blobRefs(part), refs - 1);
    });

    it('deletes every entry with --all', async () => {
      await store.enqueue({ from: 'alice@example.com', recipients: [{ address: 'frank@example.net' }], parts: [Buffer.from(MESSAGE)] });
      const deleted = await run(['queue', 'delete', '--all']);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(deleted.stdout, 'deleted 2 queue entries\n');
      assert.equal((await run(['queue', 'list'])).stdout, 'Mail queue is empty\n');
    });
  });
}
