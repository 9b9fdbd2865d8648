import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig, storeOptions } from '@postern/config';
import { openStore, type MessageRecord, type Store } from '@postern/store';
import { initInstance, type CliInstance } from '../cli/backends.js';
import { CLI } from '../support/cli.js';
import { startDnsServer, type DnsTestServer, type ZoneRecords } from '../support/dns-server.js';
import { freePort } from '../support/ports.js';

/** The ports of one running instance (all on 127.0.0.1). */
export interface MtaPorts {
  smtp: number;
  submission: number;
  submissions: number;
  lmtp: number;
  imap: number;
}

export interface MtaInstance {
  instance: CliInstance;
  ports: MtaPorts;
  dns: DnsTestServer;
  /** The store the child processes use, opened here to check what was delivered. */
  store: Store;
  /** Everything the processes printed (JSON log lines). */
  output(): string;
  /** The JSON log lines, parsed. */
  logLines(): Record<string, unknown>[];
  /** Waits for a log line (the child's stdout arrives on its own schedule, after the client's reply). */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  addUser(address: string, password: string): Promise<void>;
  run(args: string[]): Promise<void>;
  /** Messages in the user's INBOX, oldest first, with their bytes. */
  inbox(address: string): Promise<{ record: MessageRecord; raw: string }[]>;
  /** Waits until the INBOX holds `count` messages (delivery is synchronous, but IMAP/LMTP may lag a little). */
  waitForInbox(address: string, count: number, timeoutMs?: number): Promise<{ record: MessageRecord; raw: string }[]>;
  /** Sends SIGTERM to the services, waits for them to exit. */
  stopServices(): Promise<void>;
  stop(): Promise<void>;
}

export interface MtaInstanceOptions {
  /** `start` (one process), `split` (`postern mailstore` and `postern mta` as two processes) or `mta` (the MTA alone). */
  mode?: 'start' | 'split' | 'mta';
  /** Extra `postern config set` pairs, applied after the listeners. */
  settings?: [string, string][];
  zone?: ZoneRecords;
}

const OFF = ['imaps', 'pop3', 'pop3s', 'http'];

function waitFor(child: ChildProcess, output: () => string, marker: string, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not get ready in 20 s:\n${output()}`)), 20_000);
    const watch = (): void => {
      if (!output().includes(marker)) return;
      clearTimeout(timer);
      child.stdout!.off('data', watch);
      resolve();
    };
    child.stdout!.on('data', watch);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${output()}`));
    });
  });
}

/**
 * A `postern init` instance (domain example.com) running the MTA and the
 * mailstore as child processes on free loopback ports, resolving DNS through
 * a local test DNS server. mynetworks is only 127.0.0.1, so a client bound to
 * 127.0.0.2 is an outside client.
 */
export async function startMtaInstance(backend: 'sqlite' | 'mongodb', options: MtaInstanceOptions = {}): Promise<MtaInstance> {
  const instance = await initInstance(backend);
  const dns = await startDnsServer(options.zone ?? {});
  const ports: MtaPorts = { smtp: await freePort(), submission: await freePort(), submissions: await freePort(), lmtp: await freePort(), imap: await freePort() };
  const settings: [string, string][] = [
    ...OFF.map((name): [string, string] => [`listen.${name}`, '[]']),
    ...(Object.entries(ports) as [string, number][]).map(([name, port]): [string, string] => [`listen.${name}`, `["127.0.0.1:${port}"]`]),
    ['dns.servers', `["${dns.address}"]`],
    ['dns.timeout_ms', '1000'],
    ['smtpd.mynetworks', '["127.0.0.1/32"]'],
    ...(options.settings ?? []),
  ];
  for (const [key, value] of settings) {
    const set = await instance.run(['config', 'set', key, value]);
    if (set.code !== 0) throw new Error(`config set ${key} failed: ${set.stderr}`);
  }
  const store = await openStore(storeOptions(loadConfig(instance.configFile)));
  let output = '';
  const children: ChildProcess[] = [];
  const spawnRole = async (role: string): Promise<void> => {
    const child = spawn(process.execPath, [CLI, '-c', instance.configFile, role], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(child, () => output, `postern ${role} ready`, `postern ${role}`);
  };
  const stopServices = async (): Promise<void> => {
    // The MTA first, then the mailstore, as systemd would order them.
    for (const child of [...children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    if (options.mode === 'split') {
      await spawnRole('mailstore');
      await spawnRole('mta');
    } else if (options.mode === 'mta') {
      await spawnRole('mta');
    } else {
      await spawnRole('start');
    }
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    await store.close();
    await dns.stop();
    await instance.dispose();
    throw error;
  }

  const inbox = async (address: string) => {
    const user = await store.getUser(address);
    if (!user) throw new Error(`no user ${address}`);
    const mailbox = await store.getMailbox(user.id, 'INBOX');
    if (!mailbox) return [];
    const records = await store.listMessages(mailbox.id);
    return Promise.all(records.map(async (record) => ({ record, raw: (await store.readMessage(record)).toString('utf8') })));
  };
  const logLines = (): Record<string, unknown>[] =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{') && line.endsWith('}'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    instance,
    ports,
    dns,
    store,
    output: () => output,
    logLines,
    async waitForLog(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logLines().find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms:\n${output.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async addUser(address, password) {
      const added = await instance.run(['user', 'add', address, '--password-stdin'], { input: `${password}\n` });
      if (added.code !== 0) throw new Error(`user add ${address} failed: ${added.stderr}`);
    },
    async run(args) {
      const result = await instance.run(args);
      if (result.code !== 0) throw new Error(`postern ${args.join(' ')} failed: ${result.stderr}`);
    },
    inbox,
    async waitForInbox(address, count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const messages = await inbox(address);
        if (messages.length >= count || Date.now() > deadline) return messages;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stopServices,
    async stop() {
      await stopServices();
      await store.close();
      await dns.stop();
      await instance.dispose();
    },
  };
}
