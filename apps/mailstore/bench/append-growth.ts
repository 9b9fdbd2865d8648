// Appends/s into one mailbox as it grows (1k, 5k, 10k, 20k messages), on each backend:
// the append path must stay flat (SPEC §4 "indexes for every query a session runs").
// A script, not a test: node --import tsx apps/mailstore/bench/append-growth.ts (or pnpm bench)
//   [sqlite|mongodb|both] [levels, comma-separated] ; APPEND_GROWTH_BUDGET_S caps the time per backend.
// MongoDB: MONGO_URL when set, else the pinned in-memory test server (see packages/store/src/testing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type MailboxId, type Store } from '@postern/store';
import { databaseUrl, startTestMongo } from '@postern/store/testing';

const which = process.argv[2] ?? 'both';
const LEVELS = (process.argv[3] ?? '1000,5000,10000,20000').split(',').map(Number);
const BUDGET_MS = Number(process.env.APPEND_GROWTH_BUDGET_S ?? 180) * 1000;
/** Measured at each level: appends as a few LMTP connections send them (CONCURRENCY at a time). */
const SAMPLE = 100;
const CONCURRENCY = 10;
/** Filling between levels goes as fast as the store takes it: the appender's largest batch. */
const FILL_BATCH = 500;

function message(n: number): { parts: Buffer[]; deliveryId: string } {
  const text = `From: a@example.org\r\nTo: b@example.com\r\nSubject: growth ${n}\r\nMessage-ID: <g${n}@example.org>\r\n\r\nbody ${n}\r\n`;
  return { parts: [Buffer.from(text)], deliveryId: `growth-${n}` };
}

/** Appends messages from..to-1, `concurrency` at a time; false when the deadline passed first. */
async function appendRange(store: Store, mailboxId: MailboxId, from: number, to: number, concurrency: number, deadline = Infinity): Promise<boolean> {
  for (let n = from; n < to; n += concurrency) {
    if (performance.now() > deadline) return false;
    await Promise.all(Array.from({ length: Math.min(concurrency, to - n) }, (_, i) => store.appendMessage(mailboxId, message(n + i))));
  }
  return true;
}

/** Appends/s measured at each level, null where the budget ran out before it. */
async function measure(name: string, store: Store): Promise<(number | null)[]> {
  const user = await store.addUser({ address: 'growth@example.com', passwordHash: '{PLAIN}x' });
  const mailbox = await store.createMailbox(user.id, 'INBOX');
  const deadline = performance.now() + BUDGET_MS;
  const rates: (number | null)[] = [];
  let count = 0;
  for (const level of LEVELS) {
    if (rates.includes(null) || !(await appendRange(store, mailbox.id, count, level - SAMPLE, FILL_BATCH, deadline))) {
      rates.push(null);
      continue;
    }
    const t0 = performance.now();
    await appendRange(store, mailbox.id, Math.max(count, level - SAMPLE), level, CONCURRENCY);
    const rate = SAMPLE / ((performance.now() - t0) / 1000);
    rates.push(rate);
    console.log(`  ${name}: ${rate.toFixed(rate < 10 ? 1 : 0)} appends/s at N=${level}`);
    count = level;
  }
  return rates;
}

async function onSqlite(): Promise<{ name: string; rates: (number | null)[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-append-growth-'));
  const store = await openStore({ backend: 'sqlite', path: join(dir, 'store.db') });
  try {
    return { name: 'sqlite', rates: await measure('sqlite', store) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onMongo(): Promise<{ name: string; rates: (number | null)[] }> {
  const mongo = await startTestMongo();
  const store = await openStore({ backend: 'mongodb', url: databaseUrl(mongo.url, `postern_append_growth_${process.pid}`) });
  try {
    const name = `mongodb (${mongo.server.split(' at ')[0]})`;
    return { name, rates: await measure(name, store) };
  } finally {
    await store.close();
    await mongo.stop();
  }
}

const results = [];
if (which === 'sqlite' || which === 'both') results.push(await onSqlite());
if (which === 'mongodb' || which === 'both') results.push(await onMongo());
console.log(`appends/s into one mailbox holding N messages (${SAMPLE} appends, ${CONCURRENCY} at a time; — = over the ${BUDGET_MS / 1000} s budget)`);
console.log(['backend'.padEnd(60), ...LEVELS.map((level) => `N=${level}`.padStart(9))].join(''));
for (const { name, rates } of results) {
  console.log([name.padEnd(60), ...rates.map((rate) => (rate === null ? '—' : rate.toFixed(rate < 10 ? 1 : 0)).padStart(9))].join(''));
}
