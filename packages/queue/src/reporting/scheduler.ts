// The daily report jobs in the MTA (TLS-RPT, DMARC): once an hour each sends what is due, one run at a time.
import type { PosternConfig } from '@postern/config';
import type { Resolver } from '@postern/dns';
import type { Logger } from '@postern/log';
import type { Store } from '@postern/store';

const HOUR = 3_600_000;

/** What a report job needs: the config as last reloaded, the store, the resolver and a logger. */
export interface ReportDeps {
  config: PosternConfig;
  store: Store;
  resolver: Resolver;
  logger: Logger;
}

export interface ReportJob {
  /** The log event of a failed run, e.g. "tlsrpt_failed". */
  failureEvent: string;
  /** What the job sends, for the log line ("TLS reports"). */
  what: string;
  enabled(config: PosternConfig): boolean;
  /** Sends every report due now. */
  sendDue(deps: ReportDeps): Promise<unknown>;
}

export class ReportScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private deps: ReportDeps,
    private readonly job: ReportJob,
  ) {}

  /** Checks now and every hour; does nothing while the job is disabled. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), HOUR);
    this.timer.unref();
    this.tick();
  }

  /** A reload: the next run uses the new config. */
  reconfigure(config: PosternConfig): void {
    this.deps = { ...this.deps, config };
  }

  private tick(): void {
    if (!this.job.enabled(this.deps.config) || this.running !== null) return;
    this.running = this.job
      .sendDue(this.deps)
      .then(() => undefined)
      .catch((error: unknown) => this.deps.logger.warn({ event: this.job.failureEvent, err: error }, `${this.job.what} not sent: ${(error as Error).message}; retried within the hour`))
      .finally(() => {
        this.running = null;
      });
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
