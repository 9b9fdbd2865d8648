// Real stores (a SQLite file, a MongoDB-wire server) and a running LMTP service for the LMTP unit tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { validateConfig, type ListenAddress, type PosternConfig } from '@postern/config';
import { createLogger } from '@postern/log';
import { openStore, type Store } from '@postern/store';
import { databaseUrl, startTestMongo, type TestMongo } from '@postern/store/testing';
import { createContext, type MailstoreContext } from '../src/context.js';
import { startLmtp } from '../src/lmtp/index.js';
import type { ProtocolService } from '../src/service.js';
import type { Target } from './lmtp-client.js';

export const BACKENDS = ['sqlite', 'mongodb'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** Opens fresh, empty stores of one backend. */
export interface Backend {
  name: BackendName;
  /** Where the stores live, for the test log. */
  server: string;
  open(): Promise<Store>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startBackend(name: BackendName): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), `postern-lmtp-${name}-`));
  let mongo: TestMongo | null = null;
  if (name === 'mongodb') mongo = await startTestMongo();
  return {
    name,
    server: mongo ? mongo.server : `sqlite files in ${dir}`,
    async open() {
      counter += 1;
      if (mongo) return openStore({ backend: 'mongodb', url: databaseUrl(mongo.url, `postern_lmtp_${process.pid}_${counter}`) });
      return openStore({ backend: 'sqlite', path: join(dir, `store-${counter}.sqlite`) });
    },
    async stop() {
      await mongo?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP port free on 127.0.0.1 right now. */
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

export function testConfig(smtpd: Record<string, unknown> = {}): PosternConfig {
  return validateConfig({ hostname: 'mail.example.com', smtpd: { message_size_limit: '64K', recipient_limit: 5, ...smtpd } }, 'test config');
}

export interface RunningLmtp {
  ctx: MailstoreContext;
  service: ProtocolService;
  target: Target;
  /** The JSON log lines the service wrote. */
  logs: Record<string, unknown>[];
}

/** startLmtp on a free loopback port (or the given address) over `store`. */
export async function runLmtp(store: Store, config = testConfig(), address?: ListenAddress): Promise<RunningLmtp> {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ name: 'mailstore', level: 'debug', destination });
  const ctx = createContext(config, store, logger);
  const listen: ListenAddress = address ?? { kind: 'tcp', host: '127.0.0.1', port: await freePort() };
  const service = await startLmtp(ctx, listen, { implicitTls: false });
  const target: Target = listen.kind === 'unix' ? { path: listen.path } : { host: listen.host, port: listen.port };
  return { ctx, service, target, logs };
}
