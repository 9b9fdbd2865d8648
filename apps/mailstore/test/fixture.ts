// Shared by the mailstore's unit tests: real stores of each backend (a SQLite file, a MongoDB-wire
// server), a test certificate, and a protocol service running over a store with its log captured.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { validateConfig, type ListenAddress, type PosternConfig } from '@postern/config';
import { createLogger } from '@postern/log';
import { openStore, type Store } from '@postern/store';
import { databaseUrl, startTestMongo, type TestMongo } from '@postern/store/testing';
import { createContext, type MailstoreContext } from '../src/context.js';
import type { ProtocolService, StartService } from '../src/service.js';

export const BACKENDS = ['sqlite', 'mongodb'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The password test users get. */
export const PASSWORD = 'correct horse battery staple';

/** Opens fresh, empty stores of one backend. */
export interface Backend {
  name: BackendName;
  /** Where the stores live, for the test log. */
  server: string;
  /** A scratch directory that lives as long as the backend. */
  dir: string;
  open(): Promise<Store>;
  /** How another process opens the same store as the last open() (for cross-process tests). */
  lastStoreOptions: { backend: BackendName; path?: string; url?: string } | null;
  stop(): Promise<void>;
}

let counter = 0;

export async function startBackend(name: BackendName): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), `postern-mailstore-${name}-`));
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
        const url = databaseUrl(mongo.url, `postern_mailstore_${process.pid}_${counter}`);
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

/** A self-signed certificate for mail.example.com, made with openssl in `dir`. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=mail.example.com', '-keyout', key, '-out', cert], {
    stdio: 'ignore',
  });
  return { cert, key };
}

/** A config for mail.example.com with `settings` over the defaults (an SRS key of its own: no secret file under the default data_dir). */
export function testConfig(settings: Record<string, unknown> = {}): PosternConfig {
  return validateConfig({ hostname: 'mail.example.com', srs: { secrets: ['mailstore unit test SRS key'] }, ...settings }, 'test config');
}

export interface RunningService {
  ctx: MailstoreContext;
  service: ProtocolService;
  /** Where it listens (the port the system chose, for TCP). */
  address: ListenAddress;
  /** The TCP port, 0 on a unix socket. */
  port: number;
  /** The JSON log lines it wrote, parsed. */
  logs: Record<string, unknown>[];
}

/** Runs one protocol service over `store` with its own context (login throttle, connection counts) and a captured debug log. */
export async function runService(
  start: StartService,
  store: Store,
  config: PosternConfig,
  options: { address?: ListenAddress; implicitTls?: boolean } = {},
): Promise<RunningService> {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const ctx = createContext(config, store, createLogger({ name: 'mailstore', level: 'debug', destination }));
  const service = await start(ctx, options.address ?? { kind: 'tcp', host: '127.0.0.1', port: 0 }, { implicitTls: options.implicitTls ?? false });
  const address = service.address;
  return { ctx, service, address, port: address.kind === 'tcp' ? address.port : 0, logs };
}
