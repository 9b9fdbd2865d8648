import { connect } from 'node:net';
import type { Command } from 'commander';
import { LISTEN_SERVICES, parseListenAddress, storeOptions, type PosternConfig } from '@postern/config';
import { restoreStore } from '@postern/store';
import { readConfig, withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';

/** Whether something answers on a TCP address (within a short wait). */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 500 });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true)).once('error', () => done(false)).once('timeout', () => done(false));
  });
}

/** The first configured listener something answers on: Postern (or another server) is running. */
async function runningListener(config: PosternConfig): Promise<string | null> {
  for (const service of LISTEN_SERVICES) {
    for (const text of config.listen[service]) {
      const address = parseListenAddress(text, { allowUnix: true });
      if (address.kind !== 'tcp') continue;
      const host = address.host === '0.0.0.0' || address.host === '' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
      if (await answers(host, address.port)) return `listen.${service} ${text}`;
    }
  }
  return null;
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .argument('<file>', 'where the copy goes (created 0600; replaced atomically)')
    .description('copy the whole store consistently while Postern runs (SQLite online backup; for MongoDB use mongodump --oplog)')
    .action(async (file: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const started = Date.now();
        await store.backup(file);
        process.stdout.write(`backed up ${await store.describe()} to ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      });
    });

  program
    .command('restore')
    .argument('<file>', 'a file made by postern backup')
    .description('replace the store with a backup; Postern must be stopped (the replaced file is kept as FILE.before-restore)')
    .action(async (file: string, _opts, cmd: Command) => {
      const { config } = readConfig(cmd.optsWithGlobals<GlobalOptions>());
      const running = await runningListener(config);
      if (running !== null) throw new UsageFailure(`something answers on ${running}: stop Postern (systemctl stop postern) before restoring`);
      const { previous } = await restoreStore(storeOptions(config), file);
      process.stdout.write(`restored ${file}${previous === null ? '' : ` (the replaced store is kept as ${previous})`}\n`);
    });
}
