// Real stores and a running IMAP service (imap-core over the store) for the IMAP unit tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { hashPassword } from '@postern/auth';
import { validateConfig, type PosternConfig } from '@postern/config';
import { addDomain, addUser } from '@postern/directory';
import { createLogger } from '@postern/log';
import { openStore, type Store, type User } from '@postern/store';
import { databaseUrl, startTestMongo, type TestMongo } from '@postern/store/testing';
import { createContext, type MailstoreContext } from '../src/context.js';
import { startImap } from '../src/imap/index.js';
import type { ProtocolService } from '../src/service.js';
import { WireClient } from './imap-wire.js';

export const BACKENDS = ['sqlite', 'mongodb'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const PASSWORD = 'correct horse battery staple';

export interface Backend {
  name: BackendName;
  server: string;
  dir: string;
  open(): Promise<Store>;
  /** How another process opens the same store as the last open() (for cross-process tests). */
  lastStoreOptions: { backend: BackendName; path?: string; url?: string } | null;
  stop(): Promise<void>;
}

let counter = 0;

export async function startBackend(name: BackendName): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), `postern-imap-${name}-`));
  let mongo: TestMongo | null = null;
  if (name === 'mongodb') mongo = await startTestMongo();
  const backend: Backend = {
    name,
    dir,
    server: mongo ? mongo.server : `sqlite files in ${dir}`,
    lastStoreOptions: null,
    async open() {
      counter += 1;
      if (mongo) {
        const url = databaseUrl(mongo.url, `postern_imap_${process.pid}_${counter}`);
        backend.lastStoreOptions = { backend: 'mongodb', url };
        return openStore({ backend: 'mongodb', url });
      }
      const path = join(dir, `store-${counter}.sqlite`);
      backend.lastStoreOptions = { backend: 'sqlite', path };
      return openStore({ backend: 'sqlite', path });
    },
    async stop() {
      await mongo?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return backend;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A self-signed certificate made with openssl for mail.example.com. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=mail.example.com', '-keyout', key, '-out', cert], {
    stdio: 'ignore',
  });
  return { cert, key };
}

export interface ImapFixtureOptions {
  allowCleartext?: boolean;
  withTls?: boolean;
  implicitTls?: boolean;
  config?: Record<string, unknown>;
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
  const config: PosternConfig = validateConfig(
    {
      hostname: 'mail.example.com',
      imap: { allow_cleartext_auth: options.allowCleartext ?? true },
      ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
      ...options.config,
    },
    'test config',
  );
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ name: 'mailstore', level: 'debug', destination });
  const ctx = createContext(config, store, logger);
  const port = await freePort();
  const service = await startImap(ctx, { kind: 'tcp', host: '127.0.0.1', port }, { implicitTls: options.implicitTls ?? false });
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
