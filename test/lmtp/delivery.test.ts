// `postern mailstore` as a delivery target end to end: swaks --protocol LMTP and Postfix's
// smtp-source -L deliver into the running process, on both store backends, and the store is checked.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { loadConfig, storeOptions } from '@postern/config';
import { openStore, type MessageRecord } from '@postern/store';
import { initInstance, type CliInstance } from '../cli/backends.js';
import { CLI } from '../support/cli.js';
import { freePort } from '../support/ports.js';

const SOURCE_SESSIONS = 20;
const SOURCE_MESSAGES = 200;
const SOURCE_LENGTH = 5120;

/** The path of a Debian-packaged tool (swaks, Postfix's smtp-source in /usr/sbin), or null. */
function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((dir) => join(dir, name)).find((path) => existsSync(path)) ?? null;
}

/** Under CI a missing tool fails the test; elsewhere the test is skipped with the package to install. */
function requireTool(t: TestContext, name: string, debianPackage: string): string | null {
  const path = findTool(name);
  if (path) return path;
  const reason = `${name} is not installed (apt-get install ${debianPackage})`;
  if (process.env.CI) assert.fail(reason);
  t.skip(reason);
  return null;
}

function run(command: string, args: string[]): { code: number; output: string; ms: number } {
  const started = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}`, ms: performance.now() - started };
}

/** `postern mailstore` in the foreground, with its JSON log lines collected. */
class Mailstore {
  readonly logs: Record<string, unknown>[] = [];
  private constructor(readonly child: ChildProcess) {}

  static async start(configFile: string): Promise<Mailstore> {
    const child = spawn(process.execPath, [CLI, '-c', configFile, 'mailstore'], {
      env: { ...process.env, POSTERN_CONFIG: '', POSTERN_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const mailstore = new Mailstore(child);
    let stderr = '';
    let pending = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`postern mailstore not ready within 20 s\n${stderr}`)), 20_000);
      child.stdout?.on('data', (d: Buffer) => {
        pending += d.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          const entry = JSON.parse(line) as Record<string, unknown>;
          mailstore.logs.push(entry);
          if (typeof entry['msg'] === 'string' && entry['msg'].endsWith(' ready')) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`postern mailstore exited with ${code}\n${stderr}`));
      });
    });
    return mailstore;
  }

  /** SIGTERM, as systemd stops it; resolves with the exit code. */
  stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.kill('SIGTERM');
    });
  }
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`LMTP into postern mailstore on ${backend}`, () => {
    let instance: CliInstance;
    let mailstore: Mailstore;
    let port: number;

    /** The user's INBOX messages, read from the store the process writes to. */
    async function inbox(address: string): Promise<MessageRecord[]> {
      const store = await openStore(storeOptions(loadConfig(instance.configFile)));
      try {
        const user = await store.getUser(address);
        assert.ok(user, `user ${address}`);
        const mailbox = await store.getMailbox(user.id, 'INBOX');
        return mailbox ? await store.listMessages(mailbox.id) : [];
      } finally {
        await store.close();
      }
    }

    before(async () => {
      instance = await initInstance(backend);
      port = await freePort();
      const settings: [string, string][] = [
        ...['smtp', 'submission', 'submissions', 'imap', 'imaps', 'pop3', 'pop3s', 'http'].map((name): [string, string] => [`listen.${name}`, '[]']),
        ['listen.lmtp', JSON.stringify([`127.0.0.1:${port}`])],
      ];
      for (const [key, value] of settings) {
        const set = await instance.run(['config', 'set', key, value]);
        assert.equal(set.code, 0, set.stderr);
      }
      for (const args of [
        ['user', 'add', 'alice@example.com'],
        ['user', 'add', 'bob@example.com'],
        ['user', 'add', 'rcpt@example.com'],
        ['alias', 'add', 'team@example.com', 'alice@example.com', 'bob@example.com'],
      ]) {
        const result = await instance.run(args);
        assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      }
      mailstore = await Mailstore.start(instance.configFile);
      console.log(`LMTP end to end on ${backend}: ${instance.server}, lmtp on 127.0.0.1:${port}`);
    });

    after(async () => {
      await mailstore?.stop();
      await instance?.dispose();
    });

    it('delivers a message sent with swaks --protocol LMTP, answering 250 2.0.0 after DATA', async (t) => {
      const swaks = requireTool(t, 'swaks', 'swaks');
      if (!swaks) return;
      const result = run(swaks, ['--protocol', 'LMTP', '--server', '127.0.0.1', '--port', String(port), '--from', 'sender@remote.example', '--to', 'alice@example.com', '--header', 'Subject: via swaks', '--helo', 'mta.example.net']);
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /<- {2}250 2\.0\.0 <alice@example\.com> Saved/);
      const messages = await inbox('alice@example.com');
      assert.equal(messages.length, 1);
      assert.equal(messages[0]!.headers.subject, 'via swaks');
    });

    it('answers swaks per recipient: an alias and a user each get 250, an unknown user 550 5.1.1 at RCPT', async (t) => {
      const swaks = requireTool(t, 'swaks', 'swaks');
      if (!swaks) return;
      const unknown = run(swaks, ['--protocol', 'LMTP', '--server', '127.0.0.1', '--port', String(port), '--from', 'sender@remote.example', '--to', 'nobody@example.com', '--helo', 'mta.example.net']);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.output, /<\*\* {1}550 5\.1\.1 <nobody@example\.com> User unknown/);

      const before = (await inbox('alice@example.com')).length;
      const several = run(swaks, ['--protocol', 'LMTP', '--server', '127.0.0.1', '--port', String(port), '--from', 'sender@remote.example', '--to', 'team@example.com,alice@example.com', '--header', 'Subject: team', '--helo', 'mta.example.net']);
      assert.equal(several.code, 0, several.output);
      assert.match(several.output, /250 2\.0\.0 <team@example\.com> Saved/);
      assert.match(several.output, /250 2\.0\.0 <alice@example\.com> Saved/);
      // alice is reached through the alias and directly: one copy.
      assert.equal((await inbox('alice@example.com')).length, before + 1);
      assert.equal((await inbox('bob@example.com')).at(-1)?.headers.subject, 'team');
    });

    it(`takes ${SOURCE_MESSAGES} messages of 5 KB from smtp-source -L in ${SOURCE_SESSIONS} sessions, with UIDs 1..${SOURCE_MESSAGES}`, async (t) => {
      const smtpSource = requireTool(t, 'smtp-source', 'postfix');
      if (!smtpSource) return;
      const result = run(smtpSource, ['-L', '-s', String(SOURCE_SESSIONS), '-m', String(SOURCE_MESSAGES), '-l', String(SOURCE_LENGTH), '-f', 'from@x', '-t', 'rcpt@example.com', `127.0.0.1:${port}`]);
      assert.equal(result.code, 0, result.output);
      const rate = SOURCE_MESSAGES / (result.ms / 1000);
      t.diagnostic(`${backend}: ${SOURCE_MESSAGES} deliveries in ${(result.ms / 1000).toFixed(2)} s = ${rate.toFixed(0)} deliveries/s`);
      console.log(`smtp-source -L -s ${SOURCE_SESSIONS} -m ${SOURCE_MESSAGES} -l ${SOURCE_LENGTH} on ${backend}: ${rate.toFixed(0)} deliveries/s`);
      const messages = await inbox('rcpt@example.com');
      assert.equal(messages.length, SOURCE_MESSAGES);
      assert.deepEqual(
        messages.map((m) => m.uid),
        Array.from({ length: SOURCE_MESSAGES }, (_, i) => i + 1),
      );
      assert.ok(messages.every((m) => m.size > SOURCE_LENGTH));
      const delivered = () => mailstore.logs.filter((l) => l['service'] === 'lmtp' && l['rcpt'] === 'rcpt@example.com' && typeof l['uid'] === 'number').length;
      // The log reaches us through a pipe, a moment after the replies.
      for (let waited = 0; delivered() < SOURCE_MESSAGES && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(delivered(), SOURCE_MESSAGES, 'one log line per delivery');
    });

    it('stops cleanly on SIGTERM', async () => {
      const code = await mailstore.stop();
      assert.equal(code, 0);
      assert.ok(mailstore.logs.some((l) => l['msg'] === 'stopped'));
    });
  });
}
