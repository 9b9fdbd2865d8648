import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig, storeOptions } from '@postern/config';
import { openStore, type Store, type User } from '@postern/store';
import { prepareMessage } from '../../apps/mailstore/src/message/index.js';
import { initInstance, type CliInstance } from '../cli/backends.js';
import { CLI } from '../support/cli.js';
import { freePort } from '../support/ports.js';

/** A `postern init` instance serving POP3 (STLS) and POP3S on free loopback ports from a `postern mailstore` process. */
export interface Pop3Instance {
  instance: CliInstance;
  pop3Port: number;
  pop3sPort: number;
  /** The same store the mailstore process uses, opened here to put and check messages. */
  store: Store;
  /** Everything the mailstore process printed (JSON log lines). */
  output(): string;
  addUser(address: string, password: string): Promise<User>;
  deliver(user: User, raw: string): Promise<void>;
  inboxSubjects(user: User): Promise<string[]>;
  stop(): Promise<void>;
}

const OTHER_LISTENERS = ['smtp', 'submission', 'submissions', 'lmtp', 'imap', 'imaps', 'http'];

export async function startPop3Instance(backend: 'sqlite' | 'mongodb'): Promise<Pop3Instance> {
  const instance = await initInstance(backend);
  const pop3Port = await freePort();
  const pop3sPort = await freePort();
  const settings: [string, string][] = [
    ...OTHER_LISTENERS.map((name): [string, string] => [`listen.${name}`, '[]']),
    ['listen.pop3', `["127.0.0.1:${pop3Port}"]`],
    ['listen.pop3s', `["127.0.0.1:${pop3sPort}"]`],
  ];
  for (const [key, value] of settings) {
    const set = await instance.run(['config', 'set', key, value]);
    if (set.code !== 0) throw new Error(`config set ${key} failed: ${set.stderr}`);
  }
  const store = await openStore(storeOptions(loadConfig(instance.configFile)));
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [CLI, '-c', instance.configFile, 'mailstore'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`postern mailstore did not get ready in 20 s:\n${output}`)), 20_000);
      const watch = () => {
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
    });
  } catch (error) {
    child.kill('SIGKILL');
    await store.close();
    await instance.dispose();
    throw error;
  }
  return {
    instance,
    pop3Port,
    pop3sPort,
    store,
    output: () => output,
    async addUser(address, password) {
      const added = await instance.run(['user', 'add', address, '--password-stdin'], { input: `${password}\n` });
      if (added.code !== 0) throw new Error(`user add ${address} failed: ${added.stderr}`);
      return (await store.getUser(address))!;
    },
    async deliver(user, raw) {
      const inbox = await store.getMailbox(user.id, 'INBOX');
      if (!inbox) throw new Error(`${user.address} has no INBOX`);
      await store.appendMessage(inbox.id, prepareMessage(Buffer.from(raw)));
    },
    async inboxSubjects(user) {
      const inbox = await store.getMailbox(user.id, 'INBOX');
      return inbox ? (await store.listMessages(inbox.id)).map((m) => m.headers.subject ?? '') : [];
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await store.close();
      await instance.dispose();
    },
  };
}

export function testMessage(subject: string, body = 'Hello from the POP3 tests.\r\n'): string {
  return `From: sender@example.org\r\nTo: reader@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\n${body}`;
}
