// A MongoDB server that stops answering a connection must not leave a store
// call waiting forever: the request fails over to a fresh connection once the
// socket timeout passes. A TCP relay in front of the test server plays the
// stalled path (a hung mongod thread, a half-dead network path).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MongoStore } from '../src/mongodb/index.js';
import { databaseUrl, startTestMongo, type TestMongo } from '../src/testing/mongo-server.js';

/** Relays every connection to the server; stall() stops the answers on the connections open now. */
interface Pair {
  client: Socket;
  upstream: Socket;
  stalled: boolean;
}

class StallingRelay {
  private constructor(
    private readonly server: Server,
    private readonly open: Set<Pair>,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<StallingRelay> {
    const pairs = new Set<Pair>();
    const server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      const pair: Pair = { client, upstream, stalled: false };
      pairs.add(pair);
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (!pair.stalled) client.write(chunk);
      });
      const end = (): void => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new StallingRelay(server, pairs, (server.address() as AddressInfo).port);
  }

  /** From now on the connections open now get no answer; connections made later are relayed as before. */
  stall(): number {
    for (const pair of this.open) pair.stalled = true;
    return this.open.size;
  }

  async close(): Promise<void> {
    for (const pair of this.open) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function hostPort(url: string): { host: string; port: number } {
  const match = /^mongodb:\/\/([^/:?]+):(\d+)/.exec(url);
  if (!match) throw new Error(`no host:port in ${url}`);
  return { host: match[1]!, port: Number(match[2]) };
}

/** Settles with the value, or with 'pending' if `promise` has not settled after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('mongodb store over a connection that stops answering', () => {
  let mongo: TestMongo;
  let relay: StallingRelay;
  const stores: MongoStore[] = [];
  const run = randomBytes(4).toString('hex');

  before(async () => {
    mongo = await startTestMongo();
    relay = await StallingRelay.start(hostPort(mongo.url));
  });
  after(async () => {
    await Promise.allSettled(stores.map((store) => store.close()));
    await relay?.close();
    await mongo?.stop();
  });

  async function openThroughRelay(name: string, options: string): Promise<MongoStore> {
    const url = `${databaseUrl(`mongodb://127.0.0.1:${relay.port}`, `postern_stalled_${run}_${name}`)}?directConnection=true&${options}`;
    const store = await MongoStore.open(url);
    stores.push(store);
    await store.addDomain('example.com');
    return store;
  }

  test('a read on a stalled connection fails over to a fresh one after the socket timeout and answers', async () => {
    const store = await openThroughRelay('timeout', 'socketTimeoutMS=1000&serverSelectionTimeoutMS=5000');
    assert.ok(relay.stall() > 0, 'the store holds connections to stall');
    const started = Date.now();
    const domain = await within(store.getDomain('example.com'), 15_000);
    if (domain === 'pending') assert.fail('the read is still waiting 15 s later');
    assert.equal(domain?.name, 'example.com');
    assert.ok(Date.now() - started >= 900, 'the answer came after the stalled connection timed out');
  });

  test('without a socket timeout the same read is still waiting (what the default protects against)', async () => {
    const store = await openThroughRelay('none', 'socketTimeoutMS=0&serverSelectionTimeoutMS=5000');
    assert.ok(relay.stall() > 0);
    const domain = await within(store.getDomain('example.com'), 3_000);
    assert.equal(domain, 'pending');
  });
});
