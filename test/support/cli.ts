import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI, run as a user would run it. */
export const CLI = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `postern ARGS` in a child process, optionally feeding stdin. */
export function postern(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, POSTERN_CONFIG: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A CLI bound to one config file. */
export function posternWith(configFile: string) {
  return (args: string[], options: { input?: string } = {}) => postern(['-c', configFile, ...args], options);
}
