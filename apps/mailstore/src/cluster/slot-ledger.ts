import { LocalSlotCounts, type LimitRefusal, type SessionLimitsConfig } from '@postern/service';

/**
 * The primary's connection counts for the whole mailstore: the workers take and release
 * over IPC, and the ledger remembers what each holds so that a worker that dies (a crash,
 * kill -9) gives back every count its sessions held.
 */
export class SlotLedger {
  private readonly counts: LocalSlotCounts;
  /** Per worker: counter + key → how many it holds. */
  private readonly holdings = new Map<number, Map<string, number>>();

  constructor(limits: SessionLimitsConfig) {
    this.counts = new LocalSlotCounts(limits);
  }

  setLimits(limits: SessionLimitsConfig): void {
    this.counts.setLimits(limits);
  }

  take(worker: number, counter: LimitRefusal, key: string): boolean {
    if (!this.counts.take(counter, key)) return false;
    const held = this.heldBy(worker);
    const entry = `${counter}\0${key}`;
    held.set(entry, (held.get(entry) ?? 0) + 1);
    return true;
  }

  release(worker: number, counter: LimitRefusal, key: string): void {
    const held = this.heldBy(worker);
    const entry = `${counter}\0${key}`;
    const count = held.get(entry) ?? 0;
    // A release the ledger has no count for (a duplicate) must not free another worker's slot.
    if (count === 0) return;
    if (count === 1) held.delete(entry);
    else held.set(entry, count - 1);
    this.counts.release(counter, key);
  }

  /** A worker is gone: everything it held is free again. */
  releaseAll(worker: number): void {
    const held = this.holdings.get(worker);
    this.holdings.delete(worker);
    if (!held) return;
    for (const [entry, count] of held) {
      const split = entry.indexOf('\0');
      const counter = entry.slice(0, split) as LimitRefusal;
      const key = entry.slice(split + 1);
      for (let i = 0; i < count; i++) this.counts.release(counter, key);
    }
  }

  count(counter: LimitRefusal, key: string): number {
    return this.counts.count(counter, key);
  }

  private heldBy(worker: number): Map<string, number> {
    let held = this.holdings.get(worker);
    if (!held) this.holdings.set(worker, (held = new Map()));
    return held;
  }
}
