// A password worker of CryptoPool: computes one hash or verification at a time, off the main thread.
import { parentPort } from 'node:worker_threads';
import type { CryptoReply, CryptoTask } from './crypto-task.js';
import { hashValueHere } from './hash-value.js';
import { verifyStoredHere } from './verify-stored.js';

parentPort?.on('message', (task: CryptoTask) => {
  const work = task.kind === 'verify' ? verifyStoredHere(task.plain, task.stored) : hashValueHere(task.plain, task.scheme);
  work.then(
    (value) => parentPort?.postMessage({ ok: true, value } satisfies CryptoReply),
    (err: unknown) => parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies CryptoReply),
  );
});
