import type { Logger } from '@postern/log';
import type { LimitRefusal, SessionLimitsConfig, SlotCounts } from '@postern/service';
import type { MailboxId } from '@postern/store';
import type { Mailstore } from '../index.js';
import { isPosternMessage, type PrimaryMessage, type WorkerMessage } from './messages.js';

/**
 * A worker's side of the IPC channel to its primary: the connection counts (kept by
 * the primary for the whole mailstore), the mailbox news to and from the other workers,
 * the metrics the primary's /metrics merges, and the primary's stop.
 */
export class WorkerLink implements SlotCounts {
  private nextId = 1;
  private readonly pending = new Map<number, (ok: boolean) => void>();
  private mailstore: Mailstore | null = null;
  /** Mailboxes changed since the last send: one message per turn of the event loop, however many changes. */
  private outgoing = new Set<string>();
  private readonly stopRequested: Promise<string>;

  constructor(
    private readonly logger: Logger,
    /** This process's metrics in the text exposition format (the registry's render). */
    private readonly metricsText: () => Promise<string>,
    private readonly send: (message: WorkerMessage) => void = (message) => void process.send?.(message),
  ) {
    let stop: (reason: string) => void = () => {};
    this.stopRequested = new Promise((resolve) => (stop = resolve));
    process.on('message', (message: unknown) => {
      if (isPosternMessage<PrimaryMessage>(message)) this.receive(message, stop);
    });
    // The primary is gone (killed): its workers stop too rather than serve on unsupervised.
    process.once('disconnect', () => {
      for (const answer of this.pending.values()) answer(false);
      this.pending.clear();
      stop('primary gone');
    });
  }

  /** Resolves (with why) when the primary asks this worker to stop, or is gone. */
  stopped(): Promise<string> {
    return this.stopRequested;
  }

  take(counter: LimitRefusal, key: string): Promise<boolean> {
    if (!process.connected) return Promise.resolve(false);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ postern: 'take', id, counter, key });
    });
  }

  release(counter: LimitRefusal, key: string): void {
    // When the channel is gone, so is the primary's ledger: nothing to give back.
    if (process.connected) this.send({ postern: 'release', counter, key });
  }

  /** The primary applies a reload's limits to its own counts. */
  setLimits(_limits: SessionLimitsConfig): void {}

  /** The mailstore is up: its news go out, the others' come in. */
  attach(mailstore: Mailstore): void {
    this.mailstore = mailstore;
    mailstore.context.mailboxChanges.relayTo((mailboxId) => this.relay(mailboxId));
    this.send({ postern: 'ready', services: mailstore.services.map((service) => service.description) });
  }

  private relay(mailboxId: MailboxId): void {
    if (this.outgoing.size === 0) {
      setImmediate(() => {
        const mailboxIds = [...this.outgoing];
        this.outgoing = new Set();
        if (process.connected) this.send({ postern: 'changed', mailboxIds });
      });
    }
    this.outgoing.add(mailboxId);
  }

  private receive(message: PrimaryMessage, stop: (reason: string) => void): void {
    switch (message.postern) {
      case 'taken': {
        const answer = this.pending.get(message.id);
        this.pending.delete(message.id);
        answer?.(message.ok);
        return;
      }
      case 'changed':
        for (const mailboxId of message.mailboxIds) this.mailstore?.context.mailboxChanges.heard(mailboxId as MailboxId);
        return;
      case 'metrics':
        void this.metricsText().then(
          (text) => process.connected && this.send({ postern: 'metrics', id: message.id, text }),
          (err: unknown) => this.logger.warn({ err }, 'mailstore worker: metrics not rendered'),
        );
        return;
      case 'stop':
        stop('primary asked');
        return;
      default:
        this.logger.warn({ message }, 'mailstore worker: unknown message from the primary');
    }
  }
}
