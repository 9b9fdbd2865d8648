// The one suite both store backends must pass (SPEC §5). A backend's test file
// calls runStoreConformance with a harness; every test gets a fresh store.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Store } from '../store.js';
import { registerAliasAndSenderTests } from './aliases-senders.js';
import { registerAuthThrottleTests } from './auth-throttle.js';
import { registerBlobTests } from './blobs.js';
import { registerConcurrencyTests } from './concurrency.js';
import { registerConnectionTests } from './connection.js';
import { registerCopyMoveTests } from './copy-move.js';
import { registerDeliveryIdentityTests } from './delivery-identity.js';
import { registerDmarcResultTests } from './dmarc-results.js';
import { registerDkimTests } from './dkim.js';
import { registerDomainAndUserTests } from './domains-users.js';
import { registerFlagAndJournalTests } from './flags-journal.js';
import { registerFlagSearchTests } from './flag-search.js';
import { registerJournalRetentionTests } from './journal-retention.js';
import type { ConformanceHarness, FreshStore, StoreUnderTest } from './harness.js';
import { registerMailboxTests } from './mailboxes.js';
import { registerMessageTests } from './messages.js';
import { registerModseqStartTests } from './modseq-start.js';
import { OpenStores } from './open-stores.js';
import { registerOutboundTlsTests } from './outbound-tls.js';
import { registerQueueTests } from './queue.js';
import { registerSieveTests } from './sieve.js';

export type { ConformanceHarness, StoreUnderTest } from './harness.js';

export function runStoreConformance(setup: () => Promise<ConformanceHarness>): void {
  describe('store conformance', () => {
    let harness: ConformanceHarness | undefined;
    let setupError: unknown;
    let describeLine = '';
    const opened = new OpenStores();

    // A setup failure is kept and rethrown by every test, so a backend that
    // could not start is reported as failed, never as skipped or passed.
    before(async () => {
      try {
        harness = await setup();
        const probe = await harness.fresh();
        describeLine = await opened.track(probe.store).describe();
        await probe.store.close();
        console.log(`store conformance: ${harness.name} — ${harness.server} (store: ${describeLine})`);
      } catch (err) {
        setupError = err;
        console.log(`store conformance: setup FAILED — ${err instanceof Error ? err.message : String(err)}`);
      }
    });

    afterEach(() => opened.closeAll());

    after(async () => {
      try {
        await opened.closeAll();
      } finally {
        await harness?.teardown();
      }
    });

    const fresh: FreshStore = async () => {
      if (setupError !== undefined || !harness) {
        throw new Error(`store conformance: the backend could not be set up: ${setupError instanceof Error ? setupError.message : String(setupError)}`, {
          cause: setupError,
        });
      }
      const sut = await harness.fresh();
      const store = opened.track(sut.store);
      const tracked: StoreUnderTest = {
        store,
        openPeer: async (): Promise<Store> => opened.track(await sut.openPeer()),
      };
      return tracked;
    };

    it('sets up the backend and names the server it runs against', () => {
      if (setupError !== undefined) throw setupError;
      assert.ok(harness, 'setup() returned a harness');
      assert.ok(harness.server.trim().length > 0, 'harness.server names the server');
      assert.ok(describeLine.trim().length > 0, 'store.describe() names the store');
    });

    registerConnectionTests(fresh);
    registerDomainAndUserTests(fresh);
    registerAliasAndSenderTests(fresh);
    registerMailboxTests(fresh);
    registerMessageTests(fresh);
    registerDeliveryIdentityTests(fresh);
    registerFlagAndJournalTests(fresh);
    registerModseqStartTests(fresh);
    registerFlagSearchTests(fresh);
    registerJournalRetentionTests(fresh);
    registerCopyMoveTests(fresh);
    registerBlobTests(fresh);
    registerQueueTests(fresh);
    registerDkimTests(fresh);
    registerAuthThrottleTests(fresh);
    registerOutboundTlsTests(fresh);
    registerDmarcResultTests(fresh);
    registerSieveTests(fresh);
    registerConcurrencyTests(fresh);
  });
}
