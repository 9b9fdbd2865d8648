import { spawnSync } from 'node:child_process';
import { statfsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { finding, type DoctorFinding } from './finding.js';

const GIB = 1024 ** 3;
/** Below this the MTA soon answers 452 4.3.1 (insufficient system storage) and the store fails. */
const DISK_FAIL_BYTES = 256 * 1024 ** 2;
const DISK_WARN_FRACTION = 0.1;

/** Free space of the file system holding data_dir (the store, the spool, the keys). */
export function checkDisk(dataDir: string): DoctorFinding {
  let stats: ReturnType<typeof statfsSync>;
  try {
    stats = statfsSync(dataDir);
  } catch (err) {
    return finding('disk', dataDir, 'fail', `cannot be read: ${(err as Error).message}`, `create ${dataDir} (postern init) or fix data_dir`);
  }
  const free = stats.bavail * stats.bsize;
  const total = stats.blocks * stats.bsize;
  const detail = `${(free / GIB).toFixed(1)} GiB free of ${(total / GIB).toFixed(1)} GiB`;
  if (free < DISK_FAIL_BYTES) return finding('disk', dataDir, 'fail', `${detail}: too little to accept mail`, 'free space or grow the file system');
  if (total > 0 && free / total < DISK_WARN_FRACTION) return finding('disk', dataDir, 'warn', `${detail} (under ${DISK_WARN_FRACTION * 100} %)`, 'free space or grow the file system');
  return finding('disk', dataDir, 'ok', detail);
}

/**
 * A clock off by minutes breaks TLS validity, DKIM x= expiry (RFC 6376 §3.5)
 * and TOTP-like checks; one before this program was built is plainly wrong.
 * systemd's NTPSynchronized says whether it is kept right.
 */
export function checkClock(now: Date): DoctorFinding {
  const built = statSync(fileURLToPath(import.meta.url)).mtime;
  if (now < built) return finding('clock', 'system clock', 'fail', `${now.toISOString()} is before this program was installed (${built.toISOString()})`, 'set the time and enable NTP (timedatectl set-ntp true)');
  const sync = spawnSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { encoding: 'utf8', timeout: 3000 });
  if (sync.status !== 0) return finding('clock', 'system clock', 'ok', `${now.toISOString()} (timedatectl not available: synchronisation not checked)`);
  if (sync.stdout.trim() !== 'yes') return finding('clock', 'system clock', 'warn', `${now.toISOString()}, not synchronised by NTP`, 'timedatectl set-ntp true (or run chrony)');
  return finding('clock', 'system clock', 'ok', `${now.toISOString()}, synchronised by NTP`);
}
