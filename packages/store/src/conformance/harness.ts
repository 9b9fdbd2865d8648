import type { Store } from '../store.js';

/** One fresh, empty store plus a way to reach the same data over another connection. */
export interface StoreUnderTest {
  /** A fresh, empty store. */
  store: Store;
  /** A second, independent connection to the same data. */
  openPeer(): Promise<Store>;
}

/** What a backend's test file hands to the conformance suite. */
export interface ConformanceHarness {
  /** 'sqlite' | 'mongodb'. */
  name: string;
  /** One line naming what it runs against, printed by the suite. */
  server: string;
  fresh(): Promise<StoreUnderTest>;
  /** Closes everything the harness opened. */
  teardown(): Promise<void>;
}

/** How each area's tests get their store: a fresh one per test. */
export type FreshStore = () => Promise<StoreUnderTest>;
