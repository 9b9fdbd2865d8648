// installCrashPolicy in a real process: an error that escapes a session's work closes that session and is logged with it; the process keeps serving.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./crash-policy-server.ts', import.meta.url));

/** Sends one line; resolves with what came back before the server closed the connection or `waitMs` passed. */
async function exchange(port: number, line: string, waitMs = 1000): Promise<{ text: string; closed: boolean }> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
  socket.write(`${line}\n`);
  const result = await Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), waitMs))]);
  socket.destroy();
  return { text, closed: result };
}

describe('the process-level crash policy', () => {
  let child: ChildProcess;
  let port = 0;
  let stdout = '';

  before(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', SERVER], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, POSTERN_LOG_LEVEL: 'info' } });
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let stderr = '';
    port = await new Promise<number>((resolve, reject) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /PORT (\d+)/.exec(stderr);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
    });
  });

  after(() => {
    child.kill('SIGKILL');
  });

  const logged = (session: string): Record<string, unknown> | undefined =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.session === session);

  for (const [n, line, event] of [
    [1, 'timer', 'uncaughtException'],
    [3, 'promise', 'unhandledRejection'],
    [5, 'listener', 'uncaughtException'],
  ] as const) {
    test(`an error ${line === 'timer' ? 'thrown in a timer' : line === 'promise' ? 'rejected in a promise' : 'thrown by the data listener'} closes only its session; the next connection is answered`, async () => {
      const failing = await exchange(port, line);
      assert.equal(failing.closed, true, 'the failing session is closed');
      const next = await exchange(port, 'ping');
      assert.equal(next.text, 'ok ping\n', 'another connection is still served');
      assert.equal(child.exitCode, null, 'the process is still running');
      const line_ = logged(`s${n}`);
      assert.ok(line_, `a log line names session s${n}:\n${stdout}`);
      assert.equal(line_.event, event);
      assert.equal(line_.service, 'test');
      assert.equal(line_.level, 'error');
    });
  }
});
