// The TLS-RPT daily job in the MTA: once an hour it sends the reports of finished days (RFC 8460 §5: daily reports).
import { sendDueTlsReports, type ReportDeps } from './send.js';

const HOUR = 3_600_000;

export class TlsReportScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private deps: ReportDeps) {}

  /** Checks now and every hour; does nothing while tlsrpt.enabled is off. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), HOUR);
    this.timer.unref();
    this.tick();
  }

  /** A reload: the next run uses the new config. */
  reconfigure(config: ReportDeps['config']): void {
    this.deps = { ...this.deps, config };
  }

  private tick(): void {
    if (!this.deps.config.tlsrpt.enabled || this.running !== null) return;
    this.running = sendDueTlsReports(this.deps)
      .then(() => undefined)
      .catch((error: unknown) => this.deps.logger.warn({ event: 'tlsrpt_failed', err: error }, `TLS reports not sent: ${(error as Error).message}; retried within the hour`))
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
