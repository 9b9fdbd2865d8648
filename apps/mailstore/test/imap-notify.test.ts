import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openStore, type Store } from '@postern/store';
import { startImap } from '../src/imap/index.js';
import { startLmtp } from '../src/lmtp/index.js';
import { PASSWORD, type Backend } from './fixture.js';
import { describeOnBackends, loginWire, startImapFixture, type ImapFixture } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';
import { WireClient } from './imap-wire.js';
import { LmtpClient, sampleMessage } from './lmtp-client.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./imap-append-child.ts', import.meta.url));

/** Starts IDLE and returns once the server said it is idling. */
async function idle(wire: WireClient, mailbox: string): Promise<void> {
  assert.equal((await wire.command(`SELECT ${mailbox}`)).status, 'OK');
  wire.write('I1 IDLE\r\n');
  assert.match(await wire.line(), /^\+ /);
}

/** The first untagged line matching `pattern` within `timeoutMs`, and when it came. */
async function waitFor(wire: WireClient, pattern: RegExp, timeoutMs = 3000): Promise<{ line: string; at: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = await wire.line(Math.max(1, deadline - Date.now()));
    if (pattern.test(line)) return { line, at: Date.now() };
  }
}

describeOnBackends('IMAP IDLE and change notifications', {}, (suite) => {
  let fx: ImapFixture;
  let store: Store;
  let backend: Backend;

  before(async () => {
    ({ fx, store, backend } = suite);
  });

  test('IDLE gets EXISTS, FETCH and EXPUNGE for changes another session makes', async () => {
    const setup = await loginWire(fx);
    await setup.command('CREATE Watched');
    await setup.append('Watched', simpleMessage(1));
    const watcher = await loginWire(fx);
    await idle(watcher, 'Watched');
    await setup.append('Watched', simpleMessage(2));
    await waitFor(watcher, /^\* 2 EXISTS$/);
    await setup.command('SELECT Watched');
    await setup.command('STORE 1 +FLAGS (\\Seen)');
    // The watcher's SELECT claimed message 1 as \Recent (RFC 3501 §2.3.2).
    assert.equal((await waitFor(watcher, /FETCH/)).line, '* 1 FETCH (FLAGS (\\Seen \\Recent))');
    await setup.command('STORE 2 +FLAGS.SILENT (\\Deleted)');
    await setup.command('EXPUNGE');
    await waitFor(watcher, /^\* 2 EXPUNGE$/);
    watcher.write('DONE\r\n');
    assert.match(await waitFor(watcher, /^I1 /).then((hit) => hit.line), /^I1 OK/);
    watcher.close();
    setup.close();
  });

  test('IDLE gets EXISTS within a second of a message appended by another process', async (t) => {
    const watcher = await loginWire(fx);
    await idle(watcher, 'INBOX');
    const child = await run(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(backend.lastStoreOptions), 'alice@example.com', 'From another process'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    const appended = JSON.parse(child.stdout.trim()) as { uid: number; at: number };
    const exists = await waitFor(watcher, /^\* \d+ EXISTS$/, 3000);
    const delay = exists.at - appended.at;
    t.diagnostic(`EXISTS ${delay} ms after the other process committed`);
    assert.ok(delay < 1000, `EXISTS came ${delay} ms after the append`);
    watcher.write('DONE\r\n');
    await waitFor(watcher, /^I1 OK/);
    const fetch = await watcher.command(`UID FETCH ${appended.uid} (ENVELOPE)`);
    assert.match(fetch.untagged[0]!, /From another process/);
    watcher.close();
  });

  test('a second mailstore on the same store (another node) tells its IDLE sessions of this one’s appends', async () => {
    const otherStore = await openStore(backend.lastStoreOptions as Parameters<typeof openStore>[0]);
    const other = await startImapFixture(otherStore, backend.dir);
    try {
      const watcher = await loginWire(other);
      await idle(watcher, 'INBOX');
      const writer = await loginWire(fx);
      const started = Date.now();
      await writer.append('INBOX', simpleMessage(77, { subject: 'Across nodes' }));
      const exists = await waitFor(watcher, /^\* \d+ EXISTS$/, 3000);
      assert.ok(exists.at - started < 1500, `EXISTS after ${exists.at - started} ms`);
      watcher.close();
      writer.close();
    } finally {
      await other.close();
      await otherStore.close();
    }
  });

  test('concurrent APPENDs from several sessions get distinct, gap-free UIDs', async () => {
    const sessions = await Promise.all(Array.from({ length: 6 }, () => loginWire(fx)));
    await sessions[0]!.command('CREATE Busy');
    const perSession = 8;
    const results = await Promise.all(
      sessions.map(async (wire, s) => {
        const uids: number[] = [];
        for (let i = 0; i < perSession; i++) {
          const result = await wire.append('Busy', simpleMessage(s * 100 + i));
          assert.equal(result.status, 'OK', result.tagged);
          uids.push(Number(/APPENDUID \d+ (\d+)/.exec(result.tagged)![1]));
        }
        return uids;
      }),
    );
    const all = results.flat().sort((a, b) => a - b);
    assert.equal(new Set(all).size, sessions.length * perSession);
    assert.deepEqual(all, Array.from({ length: all.length }, (_, i) => i + 1));
    const select = await sessions[0]!.command('SELECT Busy');
    assert.ok(select.untagged.includes(`* ${all.length} EXISTS`));
    for (const wire of sessions) wire.close();
  });

  test('a selected session learns of appends at its next command, in UID order', async () => {
    const reader = await loginWire(fx);
    const writer = await loginWire(fx);
    await writer.command('CREATE Order');
    await reader.command('SELECT Order');
    for (let i = 1; i <= 3; i++) await writer.append('Order', simpleMessage(i));
    let untagged: string[] = [];
    for (let i = 0; i < 20 && !untagged.some((line) => line === '* 3 EXISTS'); i++) {
      untagged = (await reader.command('NOOP')).untagged;
      if (!untagged.length) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(untagged.includes('* 3 EXISTS'), untagged.join(' | '));
    const uids = await reader.command('FETCH 1:* (UID)');
    assert.deepEqual(uids.untagged, ['* 1 FETCH (UID 1)', '* 2 FETCH (UID 2)', '* 3 FETCH (UID 3)']);
    reader.close();
    writer.close();
  });

  test('deleting a mailbox another session has selected ends that session with BYE', async () => {
    const owner = await loginWire(fx);
    await owner.command('CREATE Doomed');
    const victim = await loginWire(fx);
    await idle(victim, 'Doomed');
    assert.equal((await owner.command('DELETE Doomed')).status, 'OK');
    assert.match((await waitFor(victim, /^\* BYE/)).line, /deleted/);
    owner.close();
    victim.close();
  });
});

describeOnBackends('IMAP IDLE and LMTP deliveries in one process', { pollMs: 60_000 }, (suite) => {
  test('IDLE gets EXISTS at once for a message LMTP delivers, long before the next journal poll', async () => {
    const lmtp = await startLmtp(suite.fx.ctx, { kind: 'tcp', host: '127.0.0.1', port: 0 }, { implicitTls: false });
    const watcher = await loginWire(suite.fx);
    try {
      await idle(watcher, 'INBOX');
      const { client } = await LmtpClient.open({ host: '127.0.0.1', port: lmtp.address.kind === 'tcp' ? lmtp.address.port : 0 });
      await client.lhlo();
      const sent = Date.now();
      const { data } = await client.send('sender@remote.example', ['alice@example.com'], sampleMessage({ subject: 'Delivered next door' }));
      assert.deepEqual(data.map((reply) => reply.code), [250]);
      const exists = await waitFor(watcher, /^\* \d+ EXISTS$/, 2000);
      assert.ok(exists.at - sent < 1000, `EXISTS ${exists.at - sent} ms after DATA (the poll runs every 60 s)`);
      await client.quit();
      watcher.write('DONE\r\n');
      await waitFor(watcher, /^I1 OK/);
    } finally {
      watcher.close();
      await lmtp.close();
    }
  });

  test('IDLE on one IMAP listener gets EXISTS at once for an APPEND made through another listener of the process (143 beside 993)', async () => {
    const other = await startImap(suite.fx.ctx, { kind: 'tcp', host: '127.0.0.1', port: 0 }, { implicitTls: false, pollMs: 60_000 });
    const watcher = await loginWire(suite.fx);
    const writer = await WireClient.open(other.address.kind === 'tcp' ? other.address.port : 0);
    try {
      assert.equal((await writer.command(`LOGIN alice@example.com "${PASSWORD}"`)).status, 'OK');
      await idle(watcher, 'INBOX');
      const sent = Date.now();
      assert.equal((await writer.append('INBOX', simpleMessage(7))).status, 'OK');
      const exists = await waitFor(watcher, /^\* \d+ EXISTS$/, 2000);
      assert.ok(exists.at - sent < 1000, `EXISTS ${exists.at - sent} ms after the APPEND (the poll runs every 60 s)`);
      watcher.write('DONE\r\n');
      await waitFor(watcher, /^I1 OK/);
    } finally {
      watcher.close();
      writer.close();
      await other.close();
    }
  });
});
