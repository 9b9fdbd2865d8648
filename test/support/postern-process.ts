// A `postern start|mta|mailstore` child process, run as systemd runs it, with its JSON log collected.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';

export type Role = 'start' | 'mta' | 'mailstore';

export interface PosternProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the process printed, stdout and stderr. */
  output(): string;
  /** The JSON log lines, parsed. */
  logLines(): Record<string, unknown>[];
  /** SIGTERM (SIGKILL after 15 s); resolves with the exit code. Safe to call again. */
  stop(): Promise<number | null>;
}

const READY_WITHIN_MS = 20_000;

/** Starts `postern -c CONFIG ROLE` and resolves once it logs `postern ROLE ready`; rejects (with its output) if it exits or takes longer. */
export async function startPostern(configFile: string, role: Role, env: NodeJS.ProcessEnv = {}): Promise<PosternProcess> {
  // e.g. POSTERN_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the services under a benchmark (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env.POSTERN_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, CLI, '-c', configFile, role], {
    env: { ...process.env, POSTERN_CONFIG: '', POSTERN_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const marker = `postern ${role} ready`;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`postern ${role} did not get ready in ${READY_WITHIN_MS / 1000} s:\n${output}`)), READY_WITHIN_MS);
      const watch = (): void => {
        if (!output.includes(marker)) return;
        clearTimeout(timer);
        child.stdout!.off('data', watch);
        resolve();
      };
      child.stdout!.on('data', watch);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`postern ${role} exited with ${code} before it was ready:\n${output}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    pid: child.pid ?? 0,
    output: () => output,
    logLines: () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{') && line.endsWith('}'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}
