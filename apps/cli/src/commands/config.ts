import type { Command } from 'commander';
import { formatConfigValue, getConfigValue, loadConfig, setConfigValue } from '@postern/config';
import { validateAsStart } from '../config-validation.js';
import { configPath, readConfig, type GlobalOptions } from '../context.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('read, change and check the configuration file');

  config
    .command('get')
    .argument('<key>', 'dotted key, e.g. listen.smtp')
    .option('--json', 'print JSON')
    .description('print a setting (defaults included)')
    .action((key: string, opts: { json?: boolean }, cmd: Command) => {
      const value = getConfigValue(readConfig(cmd.optsWithGlobals<GlobalOptions>()).config, key);
      process.stdout.write(`${opts.json ? JSON.stringify(value) : formatConfigValue(value)}\n`);
    });

  config
    .command('set')
    .argument('<key>')
    .argument('<value>', 'a TOML value (["a", "b"], true, 25, "x") or a plain string')
    .description('change a setting in the file, keeping its comments')
    .action((key: string, value: string, _opts, cmd: Command) => {
      const path = configPath(cmd.optsWithGlobals<GlobalOptions>());
      setConfigValue(path, key, value);
      process.stdout.write(`${key} = ${formatConfigValue(getConfigValue(loadConfig(path), key))}\n`);
    });

  config
    .command('check')
    .description('validate the configuration file as `start` does: settings, restriction lists, TLS certificates')
    .action((_opts, cmd: Command) => {
      const { path, config } = readConfig(cmd.optsWithGlobals<GlobalOptions>());
      validateAsStart(config);
      process.stdout.write(`${path}: ok\n`);
    });
}
