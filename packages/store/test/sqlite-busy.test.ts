// A database locked by another connection: the store waits on timers, not in
// the event loop, retries whole attempts with jittered backoff, and gives up
// past its bound with a temporary StoreBusyError that changed nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { StoreBusyError, StoreConflictError, isTemporaryStoreError } from '../src/errors.js';
import { backoffDelay, DEFAULT_BUSY_RETRY, isBusy, retryWhileBusy, type BusyRetry } from '../src/sqlite/busy.js';
import { SqliteStore } from '../src/sqlite/index.js';

const busyError = (): Error => new Database.SqliteError('database is locked', 'SQLITE_BUSY');
const fast: BusyRetry = { boundMs: 300, firstDelayMs: 1, maxDelayMs: 20, random: () => 0.5 };

/** Counts timer ticks while `work` runs: a blocked event loop ticks (almost) never. */
async function ticksDuring<T>(work: Promise<T>): Promise<{ value: T; ticks: number; ms: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const start = performance.now();
  try {
    const value = await work;
    return { value, ticks, ms: performance.now() - start };
  } finally {
    clearInterval(timer);
  }
}

describe('retryWhileBusy', () => {
  test('recognises SQLITE_BUSY and its extended codes, nothing else', () => {
    assert.equal(isBusy(busyError()), true);
    assert.equal(isBusy(new Database.SqliteError('recovering', 'SQLITE_BUSY_RECOVERY')), true);
    assert.equal(isBusy(new Database.SqliteError('stale', 'SQLITE_BUSY_SNAPSHOT')), true);
    assert.equal(isBusy(new Database.SqliteError('constraint', 'SQLITE_CONSTRAINT_UNIQUE')), false);
    assert.equal(isBusy(new Error('SQLITE_BUSY')), false);
  });

  test('repeats an attempt that found the database locked until it succeeds', async () => {
    let calls = 0;
    const value = await retryWhileBusy('op', () => {
      if (++calls < 4) throw busyError();
      return 'done';
    }, fast);
    assert.equal(value, 'done');
    assert.equal(calls, 4);
  });

  test('passes any other error through at the first attempt', async () => {
    let calls = 0;
    await assert.rejects(
      retryWhileBusy('op', () => {
        calls++;
        throw new StoreConflictError('user a@example.com already exists');
      }, fast),
      StoreConflictError,
    );
    assert.equal(calls, 1);
  });

  test('gives up at the bound with a temporary StoreBusyError naming the operation', async () => {
    let calls = 0;
    const started = performance.now();
    const err = await retryWhileBusy('appendMessage', () => {
      calls++;
      throw busyError();
    }, fast).then(
      () => assert.fail('resolved'),
      (error: unknown) => error,
    );
    const ms = performance.now() - started;
    assert.ok(err instanceof StoreBusyError);
    assert.equal(err.code, 'busy');
    assert.equal(err.operation, 'appendMessage');
    assert.equal(err.attempts, calls);
    assert.ok(isTemporaryStoreError(err));
    assert.ok(err.waitedMs >= fast.boundMs, `gave up after ${err.waitedMs} ms, before the ${fast.boundMs} ms bound`);
    // the last sleep is cut at the bound: no overshoot by a whole backoff step
    assert.ok(ms < fast.boundMs + 200, `took ${ms} ms`);
    assert.ok(calls >= 10, `only ${calls} attempts in ${ms} ms`);
  });

  test('waits on timers: the event loop keeps running while it retries', async () => {
    const { ticks, ms } = await ticksDuring(
      retryWhileBusy('op', () => {
        throw busyError();
      }, fast).catch(() => null),
    );
    // a 5 ms interval over ~300 ms: a loop blocked in a busy wait would not tick at all
    assert.ok(ticks >= ms / 5 / 4, `${ticks} ticks in ${ms} ms`);
  });

  test('backoff doubles up to its ceiling, with jitter between half the first step and the ceiling', () => {
    const retry = (random: number): BusyRetry => ({ ...DEFAULT_BUSY_RETRY, random: () => random });
    const top = [0, 1, 2, 3, 4, 5, 6, 7, 8, 20].map((attempt) => backoffDelay(retry(0.999999), attempt));
    assert.deepEqual(top.map((d) => Math.round(d)), [2, 4, 8, 16, 32, 64, 100, 100, 100, 100]);
    for (let attempt = 0; attempt < 10; attempt++) assert.equal(backoffDelay(retry(0), attempt), DEFAULT_BUSY_RETRY.firstDelayMs / 2);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(DEFAULT_BUSY_RETRY, 5);
      assert.ok(d >= 1 && d < 64, String(d));
    }
  });
});

describe('sqlite store while another connection holds the write lock', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'postern-sqlite-busy-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A second connection, as another process would hold it: BEGIN IMMEDIATE takes the write lock. */
  function holdWriteLock(file: string): { release: () => void } {
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    return {
      release: () => {
        other.exec('COMMIT');
        other.close();
      },
    };
  }

  test('the file is in WAL mode with busy_timeout 0', async () => {
    const file = join(dir, 'mode.sqlite');
    const store = await SqliteStore.open(file);
    try {
      assert.match(await store.describe(), /\(WAL\)/);
      const raw = new Database(file);
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      raw.close();
    } finally {
      await store.close();
    }
  });

  test('reads answer at once during the hold (WAL); a write waits, then commits once the lock is released', async () => {
    const file = join(dir, 'wait.sqlite');
    const store = await SqliteStore.open(file, { busy: { boundMs: 5000 } });
    try {
      const user = await store.addUser({ address: 'alice@example.com', passwordHash: '{PLAIN}x' });
      const inbox = await store.createMailbox(user.id, 'INBOX');
      const lock = holdWriteLock(file);
      const released = setTimeout(() => lock.release(), 300);
      try {
        const reads = await ticksDuring(Promise.all([store.getMailboxById(inbox.id), store.listMessages(inbox.id)]));
        assert.ok(reads.ms < 100, `reads waited ${reads.ms} ms for the writer`);
        const append = await ticksDuring(store.appendMessage(inbox.id, { parts: [Buffer.from('Subject: hi\r\n\r\nhello\r\n')] }));
        assert.equal(append.value.message.uid, 1);
        assert.ok(append.ms >= 250, `the append did not wait for the lock (${append.ms} ms)`);
        assert.ok(append.ticks >= append.ms / 5 / 4, `event loop blocked: ${append.ticks} ticks in ${append.ms} ms`);
      } finally {
        clearTimeout(released);
      }
      assert.equal((await store.listMessages(inbox.id)).length, 1);
    } finally {
      await store.close();
    }
  });

  test('a hold past the bound ends in StoreBusyError and leaves nothing written', async () => {
    const file = join(dir, 'bound.sqlite');
    const store = await SqliteStore.open(file, { busy: { boundMs: 200 } });
    try {
      const user = await store.addUser({ address: 'bob@example.com', passwordHash: '{PLAIN}x' });
      const inbox = await store.createMailbox(user.id, 'INBOX');
      const lock = holdWriteLock(file);
      try {
        await assert.rejects(store.appendMessage(inbox.id, { parts: [Buffer.from('Subject: late\r\n\r\nx\r\n')] }), (err: unknown) => err instanceof StoreBusyError && err.operation === 'appendMessage');
        await assert.rejects(store.enqueue({ from: 'bob@example.com', recipients: [{ address: 'x@remote.example' }], parts: [Buffer.from('x\r\n')] }), StoreBusyError);
        await assert.rejects(store.flushQueue(new Date()), StoreBusyError);
      } finally {
        lock.release();
      }
      assert.equal((await store.listMessages(inbox.id)).length, 0);
      assert.equal((await store.getMailboxById(inbox.id))?.uidNext, 1);
      assert.equal((await store.listQueue()).length, 0);
      // and once the lock is free, the same call succeeds
      assert.equal((await store.appendMessage(inbox.id, { parts: [Buffer.from('Subject: now\r\n\r\nx\r\n')] })).message.uid, 1);
    } finally {
      await store.close();
    }
  });

  test('opening a file another connection is writing to waits for the lock instead of failing', async () => {
    const file = join(dir, 'open.sqlite');
    await (await SqliteStore.open(file)).close();
    const lock = holdWriteLock(file);
    const released = setTimeout(() => lock.release(), 200);
    try {
      const store = await SqliteStore.open(file);
      await store.close();
    } finally {
      clearTimeout(released);
    }
  });
});
