import type { Command } from 'commander';
import { validateAsStart } from '../config-validation.js';
import { readConfig, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { runningServices } from '../reload/pid-file.js';

export function registerReload(program: Command): void {
  program
    .command('reload')
    .description('make the running services read the configuration file and certificates again (SIGHUP, as systemctl reload does)')
    .action((_opts, cmd: Command) => {
      const { path, config } = readConfig(cmd.optsWithGlobals<GlobalOptions>());
      // The services would refuse it too; saying so here puts the reason on the terminal, not only in the log.
      validateAsStart(config);
      const running = runningServices(config.data_dir);
      if (running.length === 0) throw new UsageFailure(`no running postern service found (no live pid file postern-*.pid in ${config.data_dir})`);
      for (const service of running) {
        process.kill(service.pid, 'SIGHUP');
        process.stdout.write(`postern ${service.role} (pid ${service.pid}): reloading ${path}\n`);
      }
    });
}
