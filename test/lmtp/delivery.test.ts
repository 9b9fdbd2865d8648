// `postern mailstore` as a delivery target end to end: swaks --protocol LMTP and Postfix's
// smtp-source -L deliver into the running process, on both store backends, and the store is checked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageRecord } from '@postern/store';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { requireTool, runTool, type ToolResult } from '../support/tools.js';

const SOURCE_SESSIONS = 20;
const SOURCE_MESSAGES = 200;
const SOURCE_LENGTH = 5120;

async function run(command: string, args: string[]): Promise<{ code: number; output: string; ms: number }> {
  const started = performance.now();
  const result: ToolResult = await runTool(command, args);
  return { code: result.code, output: `${result.stdout}${result.stderr}`, ms: performance.now() - started };
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`LMTP into postern mailstore on ${backend}`, () => {
    let lmtp: PosternInstance<'lmtp'>;
    let port: number;

    /** The user's INBOX messages, read from the store the process writes to. */
    const inbox = async (address: string): Promise<MessageRecord[]> => (await lmtp.inbox(address)).map((message) => message.record);

    before(async () => {
      lmtp = await startInstance(backend, { listen: ['lmtp'], roles: ['mailstore'] });
      port = lmtp.ports.lmtp;
      for (const args of [
        ['user', 'add', 'alice@example.com'],
        ['user', 'add', 'bob@example.com'],
        ['user', 'add', 'rcpt@example.com'],
        ['alias', 'add', 'team@example.com', 'alice@example.com', 'bob@example.com'],
      ]) {
        await lmtp.run(args);
      }
      console.log(`LMTP end to end on ${backend}: ${lmtp.instance.server}, lmtp on 127.0.0.1:${port}`);
    });

    after(() => lmtp?.stop());

    it('delivers a message sent with swaks --protocol LMTP, answering 250 2.0.0 after DATA', async (t) => {
      const swaks = requireTool(t, 'swaks', 'swaks');
      if (!swaks) return;
      const result = await run(swaks, ['--protocol', 'LMTP', '--server', '127.0.0.1', '--port', String(port), '--from', 'sender@remote.example', '--to', 'alice@example.com', '--header', 'Subject: via swaks', '--helo', 'mta.example.net']);
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /<- {2}250 2\.0\.0 <alice@example\.com> Saved/);
      const messages = await inbox('alice@example.com');
      assert.equal(messages.length, 1);
      assert.equal(messages[0]!.headers.subject, 'via swaks');
    });

    it('answers swaks per recipient: an alias and a user each get 250, an unknown user 550 5.1.1 at RCPT', async (t) => {
      const swaks = requireTool(t, 'swaks', 'swaks');
      if (!swaks) return;
      const unknown = await run(swaks, ['--protocol', 'LMTP', '--server', '127.0.0.1', '--port', String(port), '--from', 'sender@remote.example', '--to', 'nobody@example.com', '--helo', 'mta.example.net']);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.output, /<\*\* {1}550 5\.1\.1 <nobody@example\.com> User unknown/);

      const before = (await inbox('alice@example.com')).length;
      const several = await run(swaks, ['--protocol', 'LMTP', '--server', '127.0.0.1', '--port', String(port), '--from', 'sender@remote.example', '--to', 'team@example.com,alice@example.com', '--header', 'Subject: team', '--helo', 'mta.example.net']);
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
      const result = await run(smtpSource, ['-L', '-s', String(SOURCE_SESSIONS), '-m', String(SOURCE_MESSAGES), '-l', String(SOURCE_LENGTH), '-f', 'from@x', '-t', 'rcpt@example.com', `127.0.0.1:${port}`]);
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
      const delivered = () => lmtp.logLines().filter((l) => l['service'] === 'lmtp' && l['rcpt'] === 'rcpt@example.com' && typeof l['uid'] === 'number').length;
      // The log reaches us through a pipe, a moment after the replies.
      for (let waited = 0; delivered() < SOURCE_MESSAGES && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(delivered(), SOURCE_MESSAGES, 'one log line per delivery');
    });

    it('stops cleanly on SIGTERM', async () => {
      const code = await lmtp.processes[0]!.stop();
      assert.equal(code, 0);
      assert.ok(lmtp.logLines().some((l) => l['msg'] === 'stopped'));
    });
  });
}
