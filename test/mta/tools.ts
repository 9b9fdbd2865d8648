import { spawn, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { requireTool } from '../pop3/tools.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command line tool (swaks, smtp-source, python3) to completion. */
export function runTool(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

const PYTHON_PREAMBLE = `
import json, ssl, sys
args = json.loads(sys.argv[1])
# The self-signed certificate of postern init: encrypt, do not verify.
tls = ssl.create_default_context()
tls.check_hostname = False
tls.verify_mode = ssl.CERT_NONE
out = {}
`;

/** Runs a Python script (after a preamble giving it `args`, `tls` and `out`) and returns `out` as JSON. */
export async function python<T = Record<string, unknown>>(script: string, args: Record<string, unknown>): Promise<T> {
  const source = `${PYTHON_PREAMBLE}\n${script.replace(/^\n/, '')}\nprint(json.dumps(out))\n`;
  const result = await runTool('python3', ['-c', source, JSON.stringify(args)]);
  if (result.code !== 0) throw new Error(`python3 script failed (exit ${result.code}):\n${result.stderr}`);
  try {
    return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as T;
  } catch {
    throw new Error(`python3 printed no JSON:\n${result.stdout}\n${result.stderr}`);
  }
}

/** swaks against 127.0.0.1:port; returns its transcript (stdout+stderr) and exit code. */
export async function swaks(port: number, args: string[]): Promise<ToolResult & { transcript: string }> {
  const result = await runTool('swaks', ['--server', `127.0.0.1:${port}`, '--helo', 'client.example.org', '--timeout', '20', ...args]);
  return { ...result, transcript: `${result.stdout}${result.stderr}` };
}

/**
 * swaks with TLS (--tls, --tlsc) needs Perl's Net::SSLeay: true when both are
 * there; otherwise the test is skipped naming the Debian packages, or fails
 * under CI=1 where a missing tool is a broken setup.
 */
export function requireSwaksTls(t: TestContext): boolean {
  if (!requireTool(t, 'swaks', 'swaks')) return false;
  if (spawnSync('perl', ['-MNet::SSLeay', '-e', '1'], { stdio: 'ignore' }).status === 0) return true;
  const reason = 'swaks cannot do TLS: Perl Net::SSLeay is missing (Debian package libnet-ssleay-perl)';
  if (process.env.CI === '1' || process.env.CI === 'true') throw new Error(`${reason}; CI must install it`);
  t.skip(reason);
  return false;
}
