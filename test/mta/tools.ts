import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { requireTool, runTool, type ToolResult } from '../support/tools.js';

// apps/mta/bench runs smtp-source with it from here.
export { runTool };

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
