// A running IMAP service (imap-core over the store) and clients for it, for the IMAP unit tests.
import { after, before, describe, test } from 'node:test';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { hashPassword } from '@postern/auth';
import { addDomain, addUser } from '@postern/directory';
import type { Store, User } from '@postern/store';
import type { MailstoreContext } from '../src/context.js';
import { startImap } from '../src/imap/index.js';
import type { ProtocolService, StartService } from '../src/service.js';
import { BACKENDS, PASSWORD, runService, selfSignedCert, startBackend, testConfig, type Backend } from './fixture.js';
import { WireClient } from './imap-wire.js';

export interface ImapFixtureOptions {
  allowCleartext?: boolean;
  withTls?: boolean;
  implicitTls?: boolean;
  config?: Record<string, unknown>;
  /** How often the notifier polls the journal for changes made elsewhere (default 250 ms). */
  pollMs?: number;
}

export interface ImapFixture {
  ctx: MailstoreContext;
  store: Store;
  port: number;
  service: ProtocolService;
  logs: Record<string, unknown>[];
  certFile: string | null;
  addUser(address: string, options?: { quota?: number }): Promise<User>;
  client(user: string, options?: Partial<ImapFlowOptions>): ImapFlow;
  close(): Promise<void>;
}

export async function startImapFixture(store: Store, dir: string, options: ImapFixtureOptions = {}): Promise<ImapFixture> {
  const tls = options.withTls || options.implicitTls ? selfSignedCert(dir) : null;
  const config = testConfig({
    imap: { allow_cleartext_auth: options.allowCleartext ?? true },
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    ...options.config,
  });
  const implicitTls = options.implicitTls ?? false;
  const start: StartService = (c, address) => startImap(c, address, { implicitTls, ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }) });
  const { ctx, service, port, logs } = await runService(start, store, config);
  if (!(await store.getDomain('example.com'))) await addDomain(store, 'example.com');
  const clients: ImapFlow[] = [];
  return {
    ctx,
    store,
    port,
    service,
    logs,
    certFile: tls?.cert ?? null,
    async addUser(address, userOptions = {}) {
      return addUser(store, { address, passwordHash: await hashPassword(PASSWORD), quota: userOptions.quota ?? 0 });
    },
    client(user, clientOptions = {}) {
      const client = new ImapFlow({
        host: '127.0.0.1',
        port,
        secure: options.implicitTls ?? false,
        auth: { user, pass: PASSWORD },
        logger: false,
        tls: { rejectUnauthorized: false },
        ...(tls && !options.implicitTls ? { doSTARTTLS: true } : {}),
        ...clientOptions,
      } as ImapFlowOptions);
      // Errors surface through the awaited calls; the event would otherwise crash the test.
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((client) => client.logout().catch(() => client.close())));
      await service.close();
    },
  };
}

/** A raw connection already logged in as `user`. */
export async function loginWire(fx: ImapFixture, user = 'alice@example.com'): Promise<WireClient> {
  const wire = await WireClient.open(fx.port);
  const result = await wire.command(`LOGIN ${user} "${PASSWORD}"`);
  if (result.status !== 'OK') throw new Error(`LOGIN ${user} failed: ${result.tagged}`);
  return wire;
}

export interface BackendSuite {
  backend: Backend;
  store: Store;
  fx: ImapFixture;
}

/**
 * One `describe` per store backend, each with its own store and IMAP service
 * and the given users; the body's tests read `suite.fx` once `before` has run.
 */
export function describeOnBackends(title: string, options: ImapFixtureOptions & { users?: string[] }, body: (suite: BackendSuite) => void): void {
  for (const name of BACKENDS) {
    describe(`${title} on ${name}`, () => {
      const suite = {} as BackendSuite;
      before(async () => {
        suite.backend = await startBackend(name);
        suite.store = await suite.backend.open();
        suite.fx = await startImapFixture(suite.store, suite.backend.dir, options);
        for (const user of options.users ?? ['alice@example.com']) await suite.fx.addUser(user);
      });
      after(async () => {
        await suite.fx?.close();
        await suite.store?.close();
        await suite.backend?.stop();
      });
      test('runs against a real store', (t) => {
        t.diagnostic(suite.backend.server);
      });
      body(suite);
    });
  }
}
