// A `postern init` instance on one store backend, serving the listeners a suite asks for on free loopback ports.
import { loadConfig, storeOptions, type ConfiguredStore } from '@postern/config';
import { prepareMessage } from '@postern/mailstore';
import { openStore, type MessageRecord, type Store, type User } from '@postern/store';
import { initInstance, type CliInstance } from '../cli/backends.js';
import { freePort } from './ports.js';
import { startPostern, type PosternProcess, type Role } from './postern-process.js';

/** Every `[listen]` key: those a suite does not ask for are turned off. */
const LISTENERS = ['smtp', 'submission', 'submissions', 'lmtp', 'imap', 'imaps', 'pop3', 'pop3s', 'managesieve', 'http', 'https', 'metrics', 'mta_metrics'] as const;
export type Listener = (typeof LISTENERS)[number];

export interface InstanceOptions<L extends Listener> {
  /** Listeners put on free ports of 127.0.0.1. */
  listen: readonly L[];
  /** Extra `postern config set` pairs, applied after the listeners. */
  settings?: [string, string][];
  /** The processes to run, started in this order (default: `postern start`). */
  roles?: Role[];
}

export interface StoredMessage {
  record: MessageRecord;
  raw: string;
}

export interface PosternInstance<L extends Listener> {
  instance: CliInstance;
  ports: Record<L, number>;
  /** How the processes open their store (for other processes to open the same one). */
  storeOptions: ConfiguredStore;
  /** The same store, opened in the test process to put and check messages. */
  store: Store;
  processes: PosternProcess[];
  /** Everything the processes printed. */
  output(): string;
  /** Their JSON log lines, parsed. */
  logLines(): Record<string, unknown>[];
  /** Waits for a log line (a child's stdout arrives on its own schedule, after the client's reply). */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** `postern ARGS`; throws with its stderr when it fails. */
  run(args: string[]): Promise<void>;
  addUser(address: string, password: string): Promise<User>;
  /** Appends straight into the store from the test process (a change the services did not make); resolves with the UID. */
  deliver(user: User, raw: string | Buffer, mailbox?: string): Promise<number>;
  /** Messages in the user's INBOX (or another mailbox), oldest first, with their bytes. */
  inbox(address: string, mailbox?: string): Promise<StoredMessage[]>;
  /** SIGTERM to the processes, last started first (as systemd orders them); waits for them to exit. */
  stopServices(): Promise<void>;
  stop(): Promise<void>;
}

/** `postern config set` for every pair; throws naming the key that failed. */
export async function configSet(instance: CliInstance, settings: [string, string][]): Promise<void> {
  for (const [key, value] of settings) {
    const set = await instance.run(['config', 'set', key, value]);
    if (set.code !== 0) throw new Error(`config set ${key} failed: ${set.stderr}`);
  }
}

export async function startInstance<L extends Listener>(backend: 'sqlite' | 'mongodb', options: InstanceOptions<L>): Promise<PosternInstance<L>> {
  const instance = await initInstance(backend);
  const ports = {} as Record<L, number>;
  for (const name of options.listen) ports[name] = await freePort();
  const listen = (name: Listener): string => (name in ports ? `["127.0.0.1:${ports[name as L]}"]` : '[]');
  const services: PosternProcess[] = [];
  let store: Store | undefined;
  try {
    await configSet(instance, [...LISTENERS.map((name): [string, string] => [`listen.${name}`, listen(name)]), ...(options.settings ?? [])]);
    const configured = storeOptions(loadConfig(instance.configFile));
    store = await openStore(configured);
    for (const role of options.roles ?? ['start']) services.push(await startPostern(instance.configFile, role));
    return runningInstance(instance, ports, configured, store, services);
  } catch (error) {
    for (const service of services) service.child.kill('SIGKILL');
    await store?.close();
    await instance.dispose();
    throw error;
  }
}

function runningInstance<L extends Listener>(instance: CliInstance, ports: Record<L, number>, configured: ConfiguredStore, store: Store, services: PosternProcess[]): PosternInstance<L> {
  const output = (): string => services.map((service) => service.output()).join('');
  const logLines = (): Record<string, unknown>[] => services.flatMap((service) => service.logLines());
  const stopServices = async (): Promise<void> => {
    for (const service of [...services].reverse()) await service.stop();
  };
  return {
    instance,
    ports,
    storeOptions: configured,
    store,
    processes: services,
    output,
    logLines,
    async waitForLog(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logLines().find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms:\n${output().slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async run(args) {
      const result = await instance.run(args);
      if (result.code !== 0) throw new Error(`postern ${args.join(' ')} failed: ${result.stderr}`);
    },
    async addUser(address, password) {
      const added = await instance.run(['user', 'add', address, '--password-stdin'], { input: `${password}\n` });
      if (added.code !== 0) throw new Error(`user add ${address} failed: ${added.stderr}`);
      const user = await store.getUser(address);
      if (!user) throw new Error(`user add ${address} succeeded but the store has no such user`);
      return user;
    },
    async deliver(user, raw, mailbox = 'INBOX') {
      const target = await store.getMailbox(user.id, mailbox);
      if (!target) throw new Error(`${user.address} has no ${mailbox}`);
      return (await store.appendMessage(target.id, prepareMessage(Buffer.isBuffer(raw) ? raw : Buffer.from(raw)))).message.uid;
    },
    async inbox(address, path = 'INBOX') {
      const user = await store.getUser(address);
      if (!user) throw new Error(`no user ${address}`);
      const mailbox = await store.getMailbox(user.id, path);
      if (!mailbox) return [];
      const records = await store.listMessages(mailbox.id);
      return Promise.all(records.map(async (record) => ({ record, raw: (await store.readMessage(record)).toString('utf8') })));
    },
    stopServices,
    async stop() {
      await stopServices();
      await store.close();
      await instance.dispose();
    },
  };
}
