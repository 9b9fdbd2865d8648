import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PID_FILE = /^postern-(start|mta|mailstore)\.pid$/;

/** `<data_dir>/postern-ROLE.pid`: how `postern reload` finds the running services (systemd uses $MAINPID). */
export function pidFilePath(dataDir: string, role: string): string {
  return join(dataDir, `postern-${role}.pid`);
}

/** Written once the services are ready; returns its removal (only if the file is still ours). */
export function writePidFile(dataDir: string, role: string): () => void {
  const file = pidFilePath(dataDir, role);
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
    } catch {
      // Already gone: nothing to remove.
    }
  };
}

export interface RunningService {
  role: string;
  pid: number;
  file: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** After a crash the pid may belong to another program by now: on Linux its command line must name the role. */
function runsRole(pid: number, role: string): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // No procfs (or not ours to read): the live pid is all there is to go on.
    return true;
  }
  return cmdline.split('\0').includes(role);
}

/** The services whose pid files name a live process; stale files (a kill -9) are skipped. */
export function runningServices(dataDir: string): RunningService[] {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch {
    return [];
  }
  const running: RunningService[] = [];
  for (const name of names.sort()) {
    const role = PID_FILE.exec(name)?.[1];
    if (role === undefined) continue;
    const file = join(dataDir, name);
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid) && runsRole(pid, role)) running.push({ role, pid, file });
  }
  return running;
}
