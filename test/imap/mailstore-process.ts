// A `postern init` instance whose `postern mailstore` process serves IMAP (STARTTLS), IMAPS and LMTP on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig, storeOptions, type ConfiguredStore } from '@postern/config';
import { openStore, type Store, type User } from '@postern/store';
import { prepareMessage } from '../../apps/mailstore/src/message/index.js';
import { initInstance, type CliInstance } from '../cli/backends.js';
import { CLI } from '../support/cli.js';
import { freePort } from '../support/ports.js';

export const PASSWORD = 'imap e2e password';

export interface ImapInstance {
  instance: CliInstance;
  imapPort: number;
  imapsPort: number;
  lmtpPort: number;
  /** How the mailstore process opens its store (for other processes to open the same one). */
  storeOptions: ConfiguredStore;
  /** The same store, opened in the test process. */
  store: Store;
  /** The `postern mailstore` process id (for resource measurements). */
  pid: number;
  output(): string;
  addUser(address: string): Promise<User>;
  /** Appends straight into the store from this (test) process: a change the mailstore did not make. */
  deliver(user: User, raw: string | Buffer, mailbox?: string): Promise<number>;
  stop(): Promise<void>;
}

const UNUSED = ['smtp', 'submission', 'submissions', 'pop3', 'pop3s', 'http'];

async function startProcess(configFile: string): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  let output = '';
  const child = spawn(process.execPath, [CLI, '-c', configFile, 'mailstore'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`postern mailstore did not get ready in 20 s:\n${output}`)), 20_000);
    const watch = (): void => {
      if (!output.includes('mailstore ready')) return;
      clearTimeout(timer);
      child.stdout!.off('data', watch);
      resolve();
    };
    child.stdout!.on('data', watch);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`postern mailstore exited with ${code} before it was ready:\n${output}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return { child, output: () => output, exited };
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function startImapInstance(backend: 'sqlite' | 'mongodb', settings: [string, string][] = []): Promise<ImapInstance> {
  const instance = await initInstance(backend);
  const imapPort = await freePort();
  const imapsPort = await freePort();
  const lmtpPort = await freePort();
  const all: [string, string][] = [
    ...UNUSED.map((name): [string, string] => [`listen.${name}`, '[]']),
    ['listen.imap', `["127.0.0.1:${imapPort}"]`],
    ['listen.imaps', `["127.0.0.1:${imapsPort}"]`],
    ['listen.lmtp', `["127.0.0.1:${lmtpPort}"]`],
    ...settings,
  ];
  for (const [key, value] of all) {
    const set = await instance.run(['config', 'set', key, value]);
    if (set.code !== 0) throw new Error(`config set ${key} failed: ${set.stderr}`);
  }
  const options = storeOptions(loadConfig(instance.configFile));
  const store = await openStore(options);
  let main;
  try {
    main = await startProcess(instance.configFile);
  } catch (error) {
    await store.close();
    await instance.dispose();
    throw error;
  }
  return {
    instance,
    imapPort,
    imapsPort,
    lmtpPort,
    storeOptions: options,
    store,
    pid: main.child.pid ?? 0,
    output: main.output,
    async addUser(address) {
      const added = await instance.run(['user', 'add', address, '--password-stdin'], { input: `${PASSWORD}\n` });
      if (added.code !== 0) throw new Error(`user add ${address} failed: ${added.stderr}`);
      return (await store.getUser(address))!;
    },
    async deliver(user, raw, mailbox = 'INBOX') {
      const target = await store.getMailbox(user.id, mailbox);
      if (!target) throw new Error(`${user.address} has no ${mailbox}`);
      return (await store.appendMessage(target.id, prepareMessage(Buffer.isBuffer(raw) ? raw : Buffer.from(raw)))).message.uid;
    },
    async stop() {
      await stopProcess(main.child, main.exited);
      await store.close();
      await instance.dispose();
    },
  };
}

export function testMessage(n: number, subject = `E2E message ${n}`, body = `Body of e2e message ${n}.\r\n`): string {
  return `From: sender@example.org\r\nTo: reader@example.com\r\nSubject: ${subject}\r\nMessage-ID: <e2e-${n}.${process.pid}@example.org>\r\nDate: Fri, 21 Nov 2025 10:00:00 +0000\r\n\r\n${body}`;
}
