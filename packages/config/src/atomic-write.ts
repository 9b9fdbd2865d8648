import { closeSync, fchmodSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file's content so that a reader (or a crash) sees the old file
 * or the new one, never half of each: temp file in the same directory,
 * fsync, rename. Keeps the file's mode; writes through a symlink to its target.
 */
export function writeFileAtomically(file: string, content: string): void {
  const target = realpathSync(file);
  const mode = statSync(target).mode & 0o7777;
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    try {
      fchmodSync(fd, mode); // openSync's mode is narrowed by the umask
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // Already renamed or never created: nothing to clean up.
    }
    throw err;
  }
  syncDirectory(dirname(target));
}

/** Makes the rename itself durable; some filesystems refuse fsync on a directory, which is harmless here. */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // Best effort only.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
