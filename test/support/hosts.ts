// Host names for clients that use the system resolver (mbsync, Python), without writing the machine's /etc/hosts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { requireTool, runTool, type ToolOptions, type ToolResult } from './tools.js';

export type HostsRunner = (command: string, args: string[], options?: ToolOptions) => Promise<ToolResult>;

// $0 is the hosts file; the bind mount lives only in the new mount namespace, which ends with the command.
const ENTER = 'mount --bind "$0" /etc/hosts && exec "$@"';

/**
 * A runner whose commands see `/etc/hosts` plus `entries` (name → address):
 * `unshare --mount` gives each command a private mount namespace in which a
 * copy of /etc/hosts with the entries is bind-mounted over it, so getaddrinfo
 * resolves the names as a client on a real network would, and the machine's
 * file is never written. Needs root (CAP_SYS_ADMIN), as CI runs; otherwise
 * the test is skipped (failed under CI) naming why.
 */
export async function hostsRunner(t: TestContext, dir: string, entries: Record<string, string>): Promise<HostsRunner | null> {
  if (!requireTool(t, 'unshare', 'util-linux')) return null;
  const file = join(dir, 'hosts');
  const lines = Object.entries(entries).map(([name, address]) => `${address}\t${name}`);
  writeFileSync(file, `${readFileSync('/etc/hosts', 'utf8').trimEnd()}\n${lines.join('\n')}\n`);
  const run: HostsRunner = (command, args, options) => runTool('unshare', ['--mount', '--', 'sh', '-c', ENTER, file, command, ...args], options);
  const [name, address] = Object.entries(entries)[0]!;
  const probe = await run('getent', ['hosts', name]);
  if (probe.code === 0 && probe.stdout.startsWith(address)) return run;
  const reason = `cannot map ${name} in a private mount namespace (unshare --mount needs root): ${probe.stderr.trim() || probe.stdout.trim()}`;
  if (process.env.CI === '1' || process.env.CI === 'true') throw new Error(reason);
  t.skip(reason);
  return null;
}
