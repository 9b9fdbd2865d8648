import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MessageSpool } from './spool.js';

// data_dir/spool/mta-<pid>-<random>: each MTA process has its own directory.
const OWN_NAME = /^mta-(\d+)-[0-9a-f]+$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The private directory (mode 0700, under data_dir/spool) where this MTA
 * process spools messages larger than MEMORY_SPOOL_LIMIT. Nothing in it
 * outlives a message: a 250 comes only after the queue holds the message, so
 * files a crashed process left behind are removed at the next start.
 */
export class SpoolDirectory {
  readonly path: string;
  private counter = 0;

  constructor(private readonly parent: string) {
    this.path = join(parent, `mta-${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  static under(dataDir: string): SpoolDirectory {
    return new SpoolDirectory(join(dataDir, 'spool'));
  }

  /** Creates the directory and removes those of MTA processes that are gone. */
  async prepare(): Promise<void> {
    await mkdir(this.parent, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.parent)) {
      const owner = OWN_NAME.exec(name);
      if (owner && !alive(Number(owner[1]))) await rm(join(this.parent, name), { recursive: true, force: true });
    }
    await mkdir(this.path, { mode: 0o700 });
  }

  /** A spool for one message, up to `limit` bytes. */
  spool(limit: number): MessageSpool {
    return new MessageSpool(join(this.path, `${Date.now().toString(36)}-${(this.counter++).toString(36)}`), limit);
  }

  async remove(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}
