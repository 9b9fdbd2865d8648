// Postfix's smtp-sink(1) as a remote server: real Postfix replies, -d dumps of each transaction.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { requireTool } from '../../../../test/support/tools.js';

/** One transaction as smtp-sink dumped it (-d): X-Mail-Args, X-Rcpt-Args, the message. */
export interface SinkTransaction {
  helo: string | null;
  mailArgs: string;
  rcptArgs: string[];
  text: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** The transactions dumped so far (waits up to 2 s for at least `atLeast`). */
  transactions(atLeast?: number): Promise<SinkTransaction[]>;
  stop(): Promise<void>;
}

async function listening(host: string, port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`smtp-sink exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`smtp-sink did not listen on ${host}:${port}`);
}

function parseDump(text: string): SinkTransaction {
  const header = (name: string) => [...text.matchAll(new RegExp(`^${name}: (.*)$`, 'gm'))].map((match) => match[1] ?? '');
  return { helo: header('X-Helo-Args')[0] ?? null, mailArgs: header('X-Mail-Args')[0] ?? '', rcptArgs: header('X-Rcpt-Args'), text };
}

/**
 * Starts `smtp-sink [flags] -d DIR/… host:port 100` (as nobody when we are
 * root). null when smtp-sink is not installed (skipped; a failure under CI).
 */
export async function startSmtpSink(t: TestContext, host: string, port: number, flags: string[] = []): Promise<SmtpSink | null> {
  const tool = requireTool(t, 'smtp-sink', 'postfix');
  if (tool === null) return null;
  const dir = await mkdtemp(join(tmpdir(), 'postern-sink-'));
  await chmod(dir, 0o777);
  const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const child = spawn(tool, [...user, ...flags, '-d', `${dir}/%Y%m%d%H%M%S.`, `${host}:${port}`, '100'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await listening(host, port, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}: ${stderr}`);
  }
  const read = async () => {
    const files = (await readdir(dir)).sort();
    return Promise.all(files.map(async (file) => parseDump(await readFile(join(dir, file), 'utf8'))));
  };
  return {
    host,
    port,
    async transactions(atLeast = 1) {
      for (let i = 0; i < 40; i++) {
        const found = await read();
        if (found.length >= atLeast && found.every((transaction) => transaction.mailArgs !== '')) return found;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return read();
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
