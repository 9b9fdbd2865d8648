// check_policy_service against Debian's postgrey, the policy server the guides add for
// greylisting: the first attempt of a triplet is deferred with 450, a retry after the
// delay is accepted and carries postgrey's X-Greylist field (its PREPEND action).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/ports.js';
import { findTool, requireTool } from '../support/tools.js';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { swaks } from './tools.js';

interface Postgrey {
  port: number;
  output(): string;
  stop(): Promise<void>;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** postgrey on a loopback port with its database in a temp dir, greylisting for one second. */
async function startPostgrey(path: string): Promise<Postgrey> {
  const dbdir = mkdtempSync(join(tmpdir(), 'postern-postgrey-'));
  const port = await freePort();
  const user = userInfo().username;
  const child: ChildProcess = spawn(
    path,
    [`--inet=127.0.0.1:${port}`, `--dbdir=${dbdir}`, '--delay=1', `--user=${user}`, `--group=${user === 'root' ? 'root' : String(userInfo().gid)}`, '--whitelist-clients=/dev/null', '--whitelist-recipients=/dev/null', '--auto-whitelist-clients=0', '--hostname=greylist.test'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, 20_000).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}; postgrey said: ${output}`);
  });
  return {
    port,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dbdir, { recursive: true, force: true });
    },
  };
}

describe('check_policy_service with postgrey (greylisting)', { timeout: 180_000 }, () => {
  let mta: MtaInstance | undefined;
  let postgrey: Postgrey | undefined;
  before(async () => {
    const path = findTool('postgrey');
    if (!path || !findTool('swaks')) return;
    postgrey = await startPostgrey(path);
    mta = await startMtaInstance('sqlite', { settings: [['smtpd.recipient_restrictions', `["check_policy_service inet:127.0.0.1:${postgrey.port}"]`]] });
    await mta.addUser('alice@example.com', 'pw');
  });
  after(async () => {
    await mta?.stop();
    await postgrey?.stop();
  });

  it('defers the first attempt with 450, accepts the retry after the delay, with X-Greylist prepended', async (t) => {
    if (!requireTool(t, 'postgrey', 'postgrey') || !requireTool(t, 'swaks', 'swaks') || !mta) return;
    // 127.0.0.2 is outside mynetworks: the relay list lets it through to a local recipient and postgrey decides.
    const send = () => swaks(mta!.ports.smtp, ['--from', 'newsletter@sender.test', '--to', 'alice@example.com', '--local-interface', '127.0.0.2', '--header', 'Subject: greylisted']);
    const first = await send();
    // postgrey answers "DEFER_IF_PERMIT 4.2.0 Greylisted, see …": its own enhanced code, as Postfix logs it.
    assert.match(first.transcript, /<\*\* 450 4\.2\.0 <alice@example\.com>: Recipient address rejected: Greylisted, see http/, first.transcript);
    assert.equal((await mta.inbox('alice@example.com')).length, 0);
    // postgrey --delay=1: a retry is early until more than one second has passed.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const retry = await send();
    assert.equal(retry.code, 0, retry.transcript);
    const inbox = await mta.waitForInbox('alice@example.com', 1);
    assert.equal(inbox.length, 1);
    const header = inbox[0]!.raw.slice(0, inbox[0]!.raw.indexOf('\r\n\r\n'));
    assert.match(header, /^X-Greylist: delayed \d+ seconds by postgrey-[\d.]+ at greylist\.test;/m);
    // Postfix puts the policy's PREPEND fields above its own Received.
    assert.ok(header.indexOf('X-Greylist:') < header.indexOf('Received: from'), header);
  });

  it('another sender from the same client is a new triplet, greylisted on its own', async (t) => {
    if (!requireTool(t, 'postgrey', 'postgrey') || !mta) return;
    const reply = await swaks(mta.ports.smtp, ['--from', 'other@sender.test', '--to', 'alice@example.com', '--local-interface', '127.0.0.2', '--header', 'Subject: second']);
    assert.match(reply.transcript, /<\*\* 450 4\.2\.0 .*Greylisted/);
  });
});
