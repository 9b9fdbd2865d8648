import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@postern/log';
import type { SessionLimitsConfig } from '@postern/service';
import { isPosternMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';
import { SlotLedger } from './slot-ledger.js';

/** A worker that lived this long had a fair start: its death is replaced at once. */
const STABLE_MS = 10_000;
/** Back-off for workers that die young (at start: a bad config, a port taken): 0.1 s doubling to 30 s. */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 30_000;
/** How long /metrics waits for a worker's answer. */
const METRICS_WAIT_MS = 2_000;

interface Running {
  worker: Worker;
  startedAt: number;
  ready: boolean;
  /** The primary's reload count when this worker was forked: a SIGHUP since then found it still starting. */
  forkedAtReload: number;
}

/**
 * The primary of a multi-process mailstore ([limits] mailstore_processes, Dovecot's
 * process_limit): forks the workers with node:cluster (they share the listening
 * sockets), keeps the connection counts for all of them (SlotLedger), relays
 * mailbox news between them, and replaces one that dies, with a back-off when
 * they die young. Runs in the primary only.
 */
export class MailstoreWorkers {
  private readonly ledger: SlotLedger;
  private readonly running = new Map<number, Running>();
  private readonly metricsWanted = new Map<number, (text: string) => void>();
  private nextMetricsId = 1;
  private stopping = false;
  private youngDeaths = 0;
  /** SIGHUPs handled so far. */
  private reloads = 0;
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private starting: { resolve: (services: string[]) => void; reject: (err: Error) => void; services: string[] } | null = null;

  constructor(
    private readonly processes: number,
    limits: SessionLimitsConfig,
    private readonly logger: Logger,
  ) {
    this.ledger = new SlotLedger(limits);
  }

  /** Forks every worker; resolves with the listeners' descriptions once all are bound, rejects if one exits first. */
  start(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.starting = { resolve, reject, services: [] };
      for (let i = 0; i < this.processes; i++) this.fork();
    });
  }

  /** /readyz: every worker has bound its listeners (a replacement still starting makes it false). */
  allReady(): boolean {
    return !this.stopping && this.running.size === this.processes && [...this.running.values()].every((entry) => entry.ready);
  }

  /** SIGHUP: the limits the primary counts against, and the signal to every worker, which reloads as a single process does. */
  reload(limits: SessionLimitsConfig): void {
    this.ledger.setLimits(limits);
    this.reloads++;
    // A worker still starting may not handle SIGHUP yet (its default action ends the process), and it may have read the
    // file before it changed: it is sent its SIGHUP once it is ready (receive, 'ready').
    for (const { worker, ready } of this.running.values()) if (ready) worker.process.kill('SIGHUP');
  }

  /** Each ready worker's registry, rendered (those that do not answer in time are left out). */
  async metrics(): Promise<string[]> {
    const asked = [...this.running.values()].filter((entry) => entry.ready && entry.worker.isConnected());
    const answers = await Promise.all(
      asked.map(
        ({ worker }) =>
          new Promise<string | null>((resolve) => {
            const id = this.nextMetricsId++;
            const timer = setTimeout(() => {
              this.metricsWanted.delete(id);
              resolve(null);
            }, METRICS_WAIT_MS);
            this.metricsWanted.set(id, (text) => {
              clearTimeout(timer);
              this.metricsWanted.delete(id);
              resolve(text);
            });
            this.send(worker, { postern: 'metrics', id });
          }),
      ),
    );
    return answers.filter((text): text is string => text !== null);
  }

  /** SIGTERM: every worker stops accepting, finishes its in-flight work (an LMTP delivery, a command) and exits. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    const exits = [...this.running.values()].map(({ worker }) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
    for (const { worker } of this.running.values()) this.send(worker, { postern: 'stop' });
    await Promise.all(exits);
  }

  /** For tests and logs: the live workers' pids. */
  pids(): number[] {
    return [...this.running.values()].map(({ worker }) => worker.process.pid ?? 0);
  }

  private fork(): void {
    const worker = cluster.fork();
    const entry: Running = { worker, startedAt: Date.now(), ready: false, forkedAtReload: this.reloads };
    this.running.set(worker.id, entry);
    worker.on('message', (message: unknown) => {
      if (isPosternMessage<WorkerMessage>(message)) this.receive(entry, message);
    });
    // An IPC write to a worker that is dying fails: its exit is handled below.
    worker.on('error', (err) => this.logger.warn({ worker: worker.id, err }, `mailstore worker ${worker.id}: ${err.message}`));
    worker.once('exit', (code, signal) => this.exited(entry, code, signal));
  }

  private receive(entry: Running, message: WorkerMessage): void {
    const { worker } = entry;
    switch (message.postern) {
      case 'take':
        this.send(worker, { postern: 'taken', id: message.id, ok: this.ledger.take(worker.id, message.counter, message.key) });
        return;
      case 'release':
        this.ledger.release(worker.id, message.counter, message.key);
        return;
      case 'changed':
        for (const other of this.running.values()) {
          if (other !== entry && other.ready) this.send(other.worker, { postern: 'changed', mailboxIds: message.mailboxIds });
        }
        return;
      case 'metrics':
        this.metricsWanted.get(message.id)?.(message.text);
        return;
      case 'ready':
        entry.ready = true;
        this.logger.info({ worker: worker.id, pid: worker.process.pid }, `mailstore worker ${worker.id} ready (pid ${worker.process.pid})`);
        if (entry.forkedAtReload !== this.reloads) {
          this.logger.info({ worker: worker.id }, `mailstore worker ${worker.id} was starting at a SIGHUP: it reloads now`);
          worker.process.kill('SIGHUP');
        }
        if (this.starting) {
          this.starting.services = message.services;
          if (this.allReady()) {
            this.starting.resolve(this.starting.services);
            this.starting = null;
          }
        }
        return;
    }
  }

  private exited(entry: Running, code: number | null, signal: string | null): void {
    const { worker } = entry;
    this.running.delete(worker.id);
    // Its sessions are gone: so are their connection counts.
    this.ledger.releaseAll(worker.id);
    if (this.stopping) {
      this.logger.info({ worker: worker.id, code, signal }, `mailstore worker ${worker.id} stopped`);
      return;
    }
    const how = signal ? `killed by ${signal}` : `exited with ${code}`;
    if (this.starting) {
      // At start a worker that cannot bind or open the store is a failed start, as for a single process.
      this.logger.error({ worker: worker.id, code, signal }, `mailstore worker ${worker.id} ${how} before the mailstore was ready`);
      const { reject } = this.starting;
      this.starting = null;
      void this.stop().then(() => reject(new Error(`a mailstore worker ${how} before it was ready (its log says why)`)));
      return;
    }
    this.youngDeaths = Date.now() - entry.startedAt < STABLE_MS ? this.youngDeaths + 1 : 0;
    const delay = this.youngDeaths === 0 ? 0 : Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** (this.youngDeaths - 1));
    this.logger.error({ worker: worker.id, pid: worker.process.pid, code, signal, restart_in_ms: delay }, `mailstore worker ${worker.id} ${how}; its sessions are gone, a replacement starts in ${delay} ms`);
    if (delay === 0) return this.fork();
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (!this.stopping) this.fork();
    }, delay);
    this.restartTimers.add(timer);
  }

  private send(worker: Worker, message: PrimaryMessage): void {
    if (worker.isConnected()) worker.send(message);
  }
}
