import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseUrl, startTestMongo } from '@postern/store/testing';
import { postern, posternWith } from '../support/cli.js';

export interface CliInstance {
  dir: string;
  configFile: string;
  /** Where the store lives, for the test log. */
  server: string;
  run: ReturnType<typeof posternWith>;
  dispose(): Promise<void>;
}

let mongoDbCounter = 0;

/**
 * `postern init` in a temp dir, then (for mongodb) the config pointed at a
 * MongoDB server with `postern config set` — the way an operator switches.
 */
export async function initInstance(backend: 'sqlite' | 'mongodb', domain = 'example.com'): Promise<CliInstance> {
  const dir = mkdtempSync(join(tmpdir(), `postern-cli-${backend}-`));
  const configFile = join(dir, 'postern.toml');
  const run = posternWith(configFile);
  let stop = async (): Promise<void> => {};
  let server = `sqlite file in ${dir}/data`;
  if (backend === 'mongodb') {
    const mongo = await startTestMongo();
    stop = mongo.stop;
    server = mongo.server;
    const url = databaseUrl(mongo.url, `postern_cli_${process.pid}_${++mongoDbCounter}`);
    // The store is opened by init, so the backend must be chosen first: write the config, switch, then init the domain.
    const first = await postern(['init', '--dir', dir, '--hostname', 'mail.example.com', '--domain', domain]);
    if (first.code !== 0) throw new Error(`init failed: ${first.stderr}`);
    for (const [key, value] of [['store.url', JSON.stringify(url)], ['store.backend', 'mongodb']] as const) {
      const set = await run(['config', 'set', key, value]);
      if (set.code !== 0) throw new Error(`config set ${key} failed: ${set.stderr}`);
    }
    const again = await run(['domain', 'add', domain]);
    if (again.code !== 0) throw new Error(`domain add on mongodb failed: ${again.stderr}`);
  } else {
    const first = await postern(['init', '--dir', dir, '--hostname', 'mail.example.com', '--domain', domain]);
    if (first.code !== 0) throw new Error(`init failed: ${first.stderr}`);
  }
  return {
    dir,
    configFile,
    server,
    run,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
