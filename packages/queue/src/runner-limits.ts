// Concurrency limits of the runner: deliveries in all (process_limit) and per destination (destination_concurrency_limit), and the entries in flight per destination.

/** Runs at most `limit` tasks at once; the others wait in arrival order. */
export class Limit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  get active(): number {
    return this.running;
  }

  private acquire(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `running` stays the same.
    if (next) next();
    else this.running--;
  }
}

/** One Limit per key (a next hop), dropped again when nothing uses it. */
export class KeyedLimit {
  private readonly limits = new Map<string, { limit: Limit; users: number }>();

  constructor(private readonly limit: number) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let slot = this.limits.get(key);
    if (!slot) {
      slot = { limit: new Limit(this.limit), users: 0 };
      this.limits.set(key, slot);
    }
    slot.users++;
    try {
      return await slot.limit.run(task);
    } finally {
      slot.users--;
      if (slot.users === 0) this.limits.delete(key);
    }
  }

  /** Deliveries running now to `key` (for tests and diagnostics). */
  active(key: string): number {
    return this.limits.get(key)?.limit.active ?? 0;
  }
}

/** How many entries in flight, leased until recorded, have mail for each next hop: Postfix's active queue per destination. */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(key: string): void {
    this.counts.set(key, this.count(key) + 1);
  }

  remove(key: string): void {
    const left = this.count(key) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}
