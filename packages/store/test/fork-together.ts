// The scaffolding of the cross-process store tests: a test file that is also
// its own child program. Children report 'ready', wait for 'go' so that they
// really run at the same time, then send back one outcome.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** In a child: the job this process was forked for, or null in the parent. */
export function childJob<Job>(envName: string): Job | null {
  const raw = process.env[envName];
  return raw ? (JSON.parse(raw) as Job) : null;
}

/** In a child: runs the job once 'go' arrives, sends the outcome and exits. */
export async function runChild<Job, Outcome>(job: Job, run: (job: Job, started: Promise<void>) => Promise<Outcome>): Promise<void> {
  const started = new Promise<void>((resolve) => process.once('message', () => resolve()));
  const outcome = await run(job, started);
  process.send?.(outcome, () => process.disconnect());
}

/** Forks `testFile` once per job, starts them together; returns their outcomes and how long they ran. */
export async function forkTogether<Job, Outcome>(testFile: string, envName: string, jobs: Job[]): Promise<{ outcomes: Outcome[]; ms: number }> {
  const packageDir = fileURLToPath(new URL('..', import.meta.url));
  const children = jobs.map((job) => {
    const child = fork(testFile, [], {
      cwd: packageDir,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, [envName]: JSON.stringify(job) },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let outcome: Outcome | undefined;
    child.on('message', (message) => {
      if (typeof message === 'object') outcome = message as Outcome;
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('exit', resolve);
      child.once('error', reject);
    });
    const failed = (code: number | null): Error => new Error(`child ${child.pid} exited with ${code}: ${stderr}`);
    const ready = Promise.race([
      new Promise<void>((resolve) => child.once('message', () => resolve())),
      exited.then((code) => Promise.reject(failed(code))),
    ]);
    const done = exited.then((code) => (code === 0 && outcome ? outcome : Promise.reject(failed(code))));
    done.catch(() => {}); // reported through Promise.all below
    return { child, ready, done };
  });
  try {
    await Promise.all(children.map((c) => c.ready));
    const start = performance.now();
    for (const { child } of children) child.send('go');
    const outcomes = await Promise.all(children.map((c) => c.done));
    return { outcomes, ms: performance.now() - start };
  } finally {
    for (const { child } of children) if (child.exitCode === null) child.kill();
  }
}
