import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/**
 * True when `tool` is on PATH. Otherwise the test is skipped with the Debian
 * package to install — or fails under CI=1, where a missing tool is a broken setup.
 */
export function requireTool(t: TestContext, tool: string, debianPackage: string): boolean {
  if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0) return true;
  const reason = `${tool} is not installed (Debian package ${debianPackage})`;
  if (process.env.CI === '1' || process.env.CI === 'true') throw new Error(`${reason}; CI must install it (scripts/setup.sh)`);
  t.skip(reason);
  return false;
}
