// What Linux's /proc tells of a process (proc(5)): its children, its CPU time, its proportional memory.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** The fields of /proc/<pid>/stat after `comm`, which may hold spaces (so read after its closing parenthesis). */
function stat(pid: number): { comm: string; rest: string[] } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return { comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), rest: text.slice(text.lastIndexOf(')') + 2).split(' ') };
}

/** The live children of `parent`, with their names (e.g. Dovecot's `imap`, `imap-login`). */
export function childProcesses(parent: number): { pid: number; comm: string }[] {
  const children: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { comm, rest } = stat(Number(entry));
      // rest[0] is the state, rest[1] the parent's pid.
      if (Number(rest[1]) === parent) children.push({ pid: Number(entry), comm });
    } catch {
      // the process ended meanwhile
    }
  }
  return children;
}

/** User plus system CPU time the process has used, in ms (0 once it is gone). */
export function cpuMs(pid: number): number {
  try {
    const { rest } = stat(pid);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after comm.
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / USER_HZ;
  } catch {
    return 0;
  }
}

/** User plus system CPU time of the process's children that have ended and been waited for (cutime + cstime), in ms:
 *  e.g. Dovecot's per-session `imap` processes once they have logged out, or a tool this process ran. */
export function reapedChildrenCpuMs(pid: number | 'self'): number {
  try {
    const { rest } = stat(pid === 'self' ? process.pid : pid);
    // cutime and cstime are fields 16 and 17 of the line, 14 and 15 after comm.
    return ((Number(rest[13]) + Number(rest[14])) * 1000) / USER_HZ;
  } catch {
    return 0;
  }
}

/** Proportional set size (shared pages divided among the processes that map them), in KiB. */
export function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
