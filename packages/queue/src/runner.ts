// The queue manager (Postfix qmgr(8)): leases due entries from the store and runs their delivery attempts.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ListenAddress, PosternConfig } from '@postern/config';
import type { Resolver } from '@postern/dns';
import type { Logger } from '@postern/log';
import { isTemporaryStoreError, type QueueEntry, type QueueId, type Store } from '@postern/store';
import { deliver as realDeliver, relayTlsWarning, SessionCache } from './delivery/index.js';
import { DMARC_REPORT_JOB } from './dmarc-reports/send.js';
import { ReportScheduler } from './reporting/scheduler.js';
import { TLS_REPORT_JOB } from './tlsrpt/send.js';
import { attemptEntry, dueHops, type AttemptContext, type RecordedObserver } from './runner-attempt.js';
import { KeyedLimit, Limit, Tally } from './runner-limits.js';
import type { Deliver } from './types.js';

export interface QueueRunnerOptions {
  config: PosternConfig;
  store: Store;
  resolver: Resolver;
  logger: Logger;
  /** virtual_transport: where mail for local domains (bounces to local senders too) goes over LMTP. */
  lmtp: ListenAddress;
  /** Lease owner id; default `${hostname}/${pid}/${random}`. */
  owner?: string;
  /** The delivery agent; default the real one (MX, relay host, transport_maps, LMTP). */
  deliver?: Deliver;
  /**
   * How long stop() waits for deliveries in flight (default 10 s). Past it,
   * stop() returns and the unfinished entries' leases expire after
   * queue.lease_time, when another runner retries them.
   */
  stopTimeoutMs?: number;
}

const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/**
 * The keys reconfigure() applies from the next delivery attempt on: the relay
 * host (Postfix relayhost), its login (smtp_sasl_password_maps) and its TLS
 * level. The others (limits, timers, lease time) need a restart.
 */
export const QUEUE_LIVE_KEYS: readonly string[] = ['smtp.relayhost', 'smtp.relayhost_username', 'smtp.relayhost_password', 'smtp.relayhost_password_file', 'smtp.relayhost_tls_security_level'];

export class QueueRunner {
  /** The lease owner this runner writes as. */
  readonly owner: string;
  private options: QueueRunnerOptions;
  private readonly context: AttemptContext;
  private readonly inFlight = new Map<QueueId, Promise<void>>();
  /** The LMTP transport's connection cache (Postfix scache), shared by every delivery of this runner. */
  private readonly lmtpSessions = new SessionCache();
  /** The daily report jobs: TLS-RPT (RFC 8460 §5) and DMARC aggregate reports (RFC 7489 §7.2), each idle unless enabled. */
  private readonly reports: ReportScheduler[];
  /** The SMTP transport's connection cache, keyed by route and TLS/login setup, kept while a next hop has a backlog. */
  private readonly smtpSessions: SessionCache;
  /** Entries in flight per next hop: a backlog there keeps SMTP sessions cached. */
  private readonly activeHops = new Tally();
  private pollTimer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private dueTimer: { at: number; timer: NodeJS.Timeout } | null = null;
  private scanning: Promise<void> | null = null;
  /** wake() came during a scan: scan again when it ends. */
  private rescan = false;
  /** The last scan stopped at process_limit: scan again when an entry finishes. */
  private saturated = false;
  private stopped = false;

  constructor(options: QueueRunnerOptions) {
    this.options = options;
    this.owner = options.owner ?? `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
    const { config, store, logger } = options;
    this.smtpSessions = new SessionCache({
      idleMs: config.smtp.connection_cache_time_limit,
      reuseTimeMs: config.smtp.connection_reuse_time_limit,
      reuseCount: config.smtp.connection_reuse_count_limit,
      // Sessions in use and idle to one route never outnumber the deliveries allowed there at once.
      maxIdle: config.smtp.destination_concurrency_limit,
    });
    this.context = {
      config,
      store,
      logger,
      owner: this.owner,
      deliver: options.deliver ?? realDeliver,
      delivery: {
        config,
        resolver: options.resolver,
        logger,
        lmtp: options.lmtp,
        lmtpSessions: this.lmtpSessions,
        smtpSessions: this.smtpSessions,
        // The delivery asking is one of the entries in flight: a backlog is another one for the same next hop.
        backlog: (nextHop) => this.activeHops.count(nextHop) > 1,
        store,
        isLocalDomain: async (domain) => (await store.getDomain(domain)) !== null,
      },
      hops: new KeyedLimit(config.smtp.destination_concurrency_limit),
      deliveries: new Limit(config.smtp.process_limit),
      queued: () => this.wake(),
    };
    this.reports = [TLS_REPORT_JOB, DMARC_REPORT_JOB].map((job) => new ReportScheduler({ config, store, resolver: options.resolver, logger }, job));
  }

  /**
   * A reload (SIGHUP): the next attempt routes with this config (next hop,
   * relay login and TLS level are read per delivery). Attempts in flight
   * finish with the config they started with. The caller passes a config whose
   * keys outside QUEUE_LIVE_KEYS are the running ones.
   */
  reconfigure(config: PosternConfig): void {
    this.options = { ...this.options, config };
    this.context.config = config;
    this.context.delivery = { ...this.context.delivery, config };
    for (const reports of this.reports) reports.reconfigure(config);
    const relayTls = relayTlsWarning(config);
    if (relayTls !== null) this.options.logger.warn({ event: 'relay_tls_unverified' }, relayTls);
  }

  /** Looks for due entries now and then every queue.queue_run_delay (entries other processes queued or deferred). */
  start(): void {
    if (this.stopped || this.pollTimer !== null) return;
    this.pollTimer = setInterval(() => this.wake(), this.options.config.queue.queue_run_delay);
    // A delivery may outlast its lease (slow remotes, many MX hosts): keep renewing what is in flight.
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(1000, Math.floor(this.options.config.queue.lease_time / 3)));
    for (const reports of this.reports) reports.start();
    this.renewTimer.unref();
    this.wake();
  }

  /** Looks for due entries now (after an in-process enqueue). */
  wake(): void {
    if (this.stopped) return;
    if (this.scanning !== null) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scan().finally(() => {
      this.scanning = null;
      if (this.rescan) {
        this.rescan = false;
        this.wake();
      }
    });
  }

  /**
   * The lease an entry gets when it is enqueued for deliverNow: this runner
   * delivers it at once; should the process die first, any runner takes it
   * over once the lease ends.
   */
  leaseForNow(): { owner: string; until: Date } {
    return { owner: this.owner, until: new Date(Date.now() + this.options.config.queue.lease_time) };
  }

  /**
   * Delivers an entry enqueued with leaseForNow() at once, without waiting for
   * a scan (the MTA's commit point: local mail reaches its mailbox now).
   * Resolves when each of `awaited` has an outcome recorded in the store, when
   * the attempt ends, or after `waitMs`, whichever comes first.
   */
  deliverNow(entry: QueueEntry, awaited: readonly string[], waitMs: number): Promise<void> {
    if (this.stopped) {
      // Shutting down: give the lease back so that the next runner delivers it without waiting for it to end.
      return this.release(entry);
    }
    const waiting = new Set(awaited.map((address) => address.toLowerCase()));
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      if (waiting.size === 0) done();
      const recorded: RecordedObserver = (outcomes) => {
        for (const outcome of outcomes) waiting.delete(outcome.address.toLowerCase());
        if (waiting.size === 0) done();
      };
      void this.track(entry, recorded).finally(done);
    });
  }

  /** Deliveries in flight now (entries being attempted). */
  get active(): number {
    return this.inFlight.size;
  }

  /**
   * Stops leasing and waits for the attempts in flight, at most stopTimeoutMs;
   * it never hangs on a stalled remote.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.reports.map((reports) => reports.stop()));
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
    if (this.renewTimer !== null) clearInterval(this.renewTimer);
    this.renewTimer = null;
    if (this.dueTimer !== null) clearTimeout(this.dueTimer.timer);
    this.dueTimer = null;
    const deadline = Date.now() + (this.options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    // The scan first: it may still add entries to inFlight.
    if (this.scanning !== null) await settleBefore([this.scanning], deadline);
    const left = await settleBefore([...this.inFlight.values()], deadline);
    await Promise.all([this.lmtpSessions.close(), this.smtpSessions.close()]);
    if (left > 0) {
      this.options.logger.warn(
        { event: 'runner_stopped', owner: this.owner, in_flight: this.inFlight.size },
        'stopped with deliveries in flight; their entries are retried once their lease expires',
      );
    }
  }

  private async scan(): Promise<void> {
    const { config, store, logger } = this.options;
    try {
      while (!this.stopped) {
        const room = config.smtp.process_limit - this.inFlight.size;
        if (room <= 0) {
          this.saturated = true;
          return;
        }
        const entries = await store.leaseQueueEntries(this.owner, new Date(), config.queue.lease_time, room);
        for (const entry of entries) {
          if (this.stopped) await this.release(entry);
          else this.track(entry);
        }
        if (entries.length < room) return;
      }
    } catch (error) {
      // A database locked by another process past the store's bound is temporary: the next run tries again.
      if (isTemporaryStoreError(error)) logger.warn({ event: 'queue_scan_busy', owner: this.owner, err: error }, `${error.message}; trying again at the next run`);
      else logger.error({ event: 'queue_scan_failed', owner: this.owner, err: error }, 'could not lease queue entries; trying again at the next run');
    }
  }

  /** Runs an entry's attempt in the background, tracked for stop() and the process limit. */
  private track(entry: QueueEntry, recorded?: RecordedObserver): Promise<void> {
    const { logger } = this.options;
    // Counted from the lease until the outcome is recorded, not only while a delivery runs: a burst's
    // entries still being written keep their destination's sessions cached for the ones leased next.
    const hops = dueHops(this.context.config, entry);
    for (const hop of hops) this.activeHops.add(hop);
    const attempt = attemptEntry(this.context, entry, recorded)
      .then((result) => {
        if (result.state === 'deferred' || result.state === 'unfinished') this.wakeAt(result.nextAttemptAt);
      })
      .catch((error: unknown) => {
        logger.error({ event: 'attempt_failed', queue_id: entry.id, err: error }, 'delivery attempt failed; the entry is retried once its lease expires');
      })
      .finally(() => {
        for (const hop of hops) this.activeHops.remove(hop);
        this.inFlight.delete(entry.id);
        if (this.saturated) {
          this.saturated = false;
          this.wake();
        }
      });
    this.inFlight.set(entry.id, attempt);
    return attempt;
  }

  /** Extends the lease of every entry in flight; one another runner took over is logged (its delivery cannot be recalled). */
  private async renewLeases(): Promise<void> {
    const { store, logger, config } = this.options;
    const until = new Date(Date.now() + config.queue.lease_time);
    for (const id of this.inFlight.keys()) {
      try {
        if (!(await store.renewQueueLease(id, this.owner, until))) {
          logger.warn({ event: 'lease_lost', queue_id: id, owner: this.owner }, `${id}: delivery lease lost to another runner while delivering`);
        }
      } catch (error) {
        logger.warn({ event: 'lease_renew_failed', queue_id: id, err: error }, `${id}: could not renew the delivery lease`);
      }
    }
  }

  /** Gives back a lease taken while stop() began, so that another runner need not wait for it to expire. */
  private async release(entry: QueueEntry): Promise<void> {
    await this.options.store.updateQueueEntry(entry.id, {}, this.owner).catch((error: unknown) => {
      this.options.logger.warn({ event: 'lease_release_failed', queue_id: entry.id, err: error }, 'could not give back a lease');
    });
  }

  /** Wakes when an entry this runner deferred becomes due, if that is sooner than the next poll. */
  private wakeAt(at: Date): void {
    if (this.stopped) return;
    const time = at.getTime();
    if (this.dueTimer !== null && this.dueTimer.at <= time) return;
    if (this.dueTimer !== null) clearTimeout(this.dueTimer.timer);
    const timer = setTimeout(() => {
      this.dueTimer = null;
      this.wake();
    }, Math.max(0, time - Date.now()) + 5);
    // The poll keeps a started runner alive; this timer alone must not keep a process running.
    timer.unref();
    this.dueTimer = { at: time, timer };
  }
}

/** Waits for the promises until the deadline; returns how many had not settled. */
async function settleBefore(promises: Promise<unknown>[], deadline: number): Promise<number> {
  let settled = 0;
  const all = Promise.all(promises.map((promise) => promise.then(() => settled++, () => settled++)));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  await Promise.race([all, timeout]);
  clearTimeout(timer);
  return promises.length - settled;
}
