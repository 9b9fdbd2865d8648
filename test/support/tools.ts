// The command line tools the end-to-end suites drive (swaks, smtp-source, mbsync, python3, …).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolOptions {
  input?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The tool is killed after this long (default 5 minutes: a guard against hangs, not a time limit). */
  timeoutMs?: number;
}

/** Runs a command to completion; resolves with its exit code and output. */
export function runTool(command: string, args: string[], options: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    // A tool that exits without reading stdin must not fail the test with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Where `tool` is installed: on PATH, or in the sbin directories Debian puts Postfix and Dovecot tools in. */
export function findTool(tool: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((dir) => join(dir, tool)).find((path) => existsSync(path)) ?? null;
}

/**
 * The path of `tool`. When it is missing the test is skipped naming the
 * Debian package to install, or fails under CI, where a missing tool is a
 * broken setup (scripts/setup.sh installs them all).
 */
export function requireTool(t: TestContext, tool: string, debianPackage: string): string | null {
  const path = findTool(tool);
  if (path) return path;
  const reason = `${tool} is not installed (Debian package ${debianPackage})`;
  if (process.env.CI === '1' || process.env.CI === 'true') throw new Error(`${reason}; CI must install it (scripts/setup.sh)`);
  t.skip(reason);
  return null;
}
