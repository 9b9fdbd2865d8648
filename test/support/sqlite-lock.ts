// Another process holding the SQLite write lock, as a second Postern process (or
// `sqlite3 postern.sqlite` left in a transaction) would: a child `node` that runs
// BEGIN IMMEDIATE on the file and commits after a while.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** better-sqlite3 as the store package resolves it (the test package does not depend on it). */
const driver = createRequire(fileURLToPath(new URL('../../packages/store/package.json', import.meta.url))).resolve('better-sqlite3');

const HOLDER = `
const [driver, file, ms] = process.argv.slice(1);
const db = new (require(driver))(file);
db.pragma('busy_timeout = 10000');
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
setTimeout(() => {
  db.exec('COMMIT');
  db.close();
  process.stdout.write('released\\n');
}, Number(ms));
`;

export interface LockHold {
  pid: number;
  /** Resolves when the child has committed and exited. */
  released: Promise<void>;
}

/** Resolves once the child holds the write lock on `file`; it lets go after `ms`. */
export async function holdWriteLock(file: string, ms: number): Promise<LockHold> {
  const child = spawn(process.execPath, ['-e', HOLDER, driver, file, String(ms)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const watch = (): void => {
      if (output.includes('locked')) resolve();
    };
    child.stdout.on('data', watch);
    void exited.then((code) => reject(new Error(`the lock holder exited with ${code} before it held the lock: ${output}`)));
  });
  const released = exited.then((code) => {
    if (code !== 0 || !output.includes('released')) throw new Error(`the lock holder exited with ${code}: ${output}`);
  });
  released.catch(() => {}); // reported to whoever awaits it
  return { pid: child.pid!, released };
}
