import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CryptoReply, CryptoTask } from './crypto-task.js';

interface Job {
  task: CryptoTask;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

// The worker is always the built file: from the .ts source (tests under tsx), the one in dist/.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? '../dist/crypto-worker.js' : './crypto-worker.js', import.meta.url);

/**
 * Runs the CPU-bound password schemes (Argon2 in WebAssembly, bcrypt, SHA-crypt) in
 * node:worker_threads, so a login never stalls the event loop that serves every other client.
 * Workers start on first use and are unref'd: an idle pool never keeps a process alive.
 */
export class CryptoPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];

  constructor(private readonly size = Math.max(1, Math.min(4, availableParallelism()))) {}

  run(task: CryptoTask): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.job === null) ?? this.spawn();
      if (slot === null) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.task);
    }
  }

  private spawn(): Slot | null {
    if (this.slots.length >= this.size) return null;
    const slot: Slot = { worker: new Worker(WORKER_URL), job: null };
    slot.worker.unref();
    slot.worker.on('message', (reply: CryptoReply) => {
      const job = slot.job;
      slot.job = null;
      slot.worker.unref();
      if (job !== null) {
        if (reply.ok) job.resolve(reply.value);
        else job.reject(new Error(reply.error));
      }
      this.dispatch();
    });
    slot.worker.on('error', (error) => this.retire(slot, error));
    slot.worker.on('exit', () => this.retire(slot, new Error('password worker exited')));
    this.slots.push(slot);
    return slot;
  }

  /** A dead worker fails its job and leaves the pool; the next task starts a fresh one. */
  private retire(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    slot.job?.reject(error);
    slot.job = null;
    this.dispatch();
  }
}

/** The process's one pool. */
export const cryptoPool = new CryptoPool();
