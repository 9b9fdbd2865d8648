import type { Logger } from '@postern/log';
import type { Store } from '@postern/store';

const HOUR_MS = 3_600_000;

/**
 * Journal retention (imap.journal_retention): the change journal is pruned of
 * entries older than the window, every hour (or every window when it is
 * shorter). Sessions and clients that asked from before it get a full resync
 * (see imap/resync.ts), so pruning never makes an answer wrong.
 */
export class JournalRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly retentionMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.prune(), Math.min(this.retentionMs, HOUR_MS));
    this.timer.unref();
  }

  /** One pass; a pass still running is not started twice. */
  prune(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async pass(): Promise<void> {
    const before = new Date(Date.now() - this.retentionMs);
    const started = performance.now();
    try {
      const pruned = await this.store.pruneJournal(before);
      const ms = Math.round(performance.now() - started);
      if (pruned > 0) this.logger.info({ event: 'journal_pruned', pruned, before: before.toISOString(), ms }, `journal retention: pruned ${pruned} entries written before ${before.toISOString()} in ${ms} ms`);
    } catch (err) {
      this.logger.warn({ event: 'journal_prune_failed', err }, `journal retention: pruning failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
