import type { Store } from '../store.js';

/**
 * Stores opened during a test run, so that each can be closed exactly once
 * whoever asks first (the test, the suite after each test, or the harness at
 * teardown): an unclosed MongoDB client keeps the test process alive.
 */
export class OpenStores {
  private readonly open = new Set<Store>();

  track<S extends Store>(store: S): S {
    const close = store.close.bind(store);
    let closing: Promise<void> | undefined;
    store.close = () => {
      this.open.delete(store);
      closing ??= close();
      return closing;
    };
    this.open.add(store);
    return store;
  }

  async closeAll(): Promise<void> {
    const stores = [...this.open];
    const results = await Promise.allSettled(stores.map((store) => store.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
