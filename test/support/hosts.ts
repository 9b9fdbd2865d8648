// Host names for clients that use the system resolver (mbsync, Python): a private /etc/hosts per command where the kernel allows it.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { findTool, runTool, type ToolOptions, type ToolResult } from './tools.js';

export type HostsRunner = (command: string, args: string[], options?: ToolOptions) => Promise<ToolResult>;

// $0 is the hosts file; the bind mount lives only in the new mount namespace, which ends with the command.
const ENTER = 'mount --bind "$0" /etc/hosts && exec "$@"';

const MARKER = "# added by Postern's test suite (test/support/hosts.ts)";

/**
 * A runner whose commands see `/etc/hosts` plus `entries` (name → address),
 * so that getaddrinfo resolves the names as a client on a real network would.
 * First choice: `unshare --mount` gives each command a private mount namespace
 * in which a copy of /etc/hosts with the entries is bind-mounted over it; the
 * machine's file is never written. Where that is not allowed (a container
 * without CAP_SYS_ADMIN) but the test runs as root, the entries are appended
 * to /etc/hosts once, marked, and left for later runs (idempotent). Otherwise
 * the test is skipped (failed under CI) naming why.
 */
export async function hostsRunner(t: TestContext, dir: string, entries: Record<string, string>): Promise<HostsRunner | null> {
  const [name, address] = Object.entries(entries)[0]!;
  const resolves = async (run: HostsRunner): Promise<boolean> => {
    const probe = await run('getent', ['hosts', name]);
    return probe.code === 0 && probe.stdout.startsWith(address);
  };
  const lines = Object.entries(entries).map(([host, ip]) => `${ip}\t${host}`);
  if (findTool('unshare')) {
    const file = join(dir, 'hosts');
    writeFileSync(file, `${readFileSync('/etc/hosts', 'utf8').trimEnd()}\n${lines.join('\n')}\n`);
    const namespaced: HostsRunner = (command, args, options) => runTool('unshare', ['--mount', '--', 'sh', '-c', ENTER, file, command, ...args], options);
    if (await resolves(namespaced)) return namespaced;
  }
  if (process.getuid?.() === 0) {
    const current = readFileSync('/etc/hosts', 'utf8');
    const missing = lines.filter((line) => !current.split('\n').some((existing) => existing.startsWith(line)));
    if (missing.length > 0) appendFileSync('/etc/hosts', `${current.endsWith('\n') ? '' : '\n'}${missing.map((line) => `${line}\t${MARKER}`).join('\n')}\n`);
    if (await resolves(runTool)) return runTool;
  }
  const reason = `cannot make ${name} resolve to ${address} for the system resolver (needs root: unshare --mount, or /etc/hosts)`;
  if (process.env.CI === '1' || process.env.CI === 'true') throw new Error(reason);
  t.skip(reason);
  return null;
}
