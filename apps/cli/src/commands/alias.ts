import type { Command } from 'commander';
import { addAlias, removeAlias } from '@postern/directory';
import { withStore, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerAlias(program: Command): void {
  const alias = program.command('alias').description('manage aliases (virtual_alias_maps); "@domain" is a catch-all');

  alias
    .command('add')
    .argument('<address>', 'alias address, or @domain for a catch-all')
    .argument('<targets...>', 'one or more target addresses')
    .description('add an alias, or more targets to an existing one')
    .action(async (address: string, targets: string[], _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const saved = await addAlias(store, address, targets, { recipientDelimiter: config.smtpd.recipient_delimiter });
        process.stdout.write(`alias ${saved.address} → ${saved.targets.join(', ')}\n`);
      });
    });

  alias
    .command('del')
    .argument('<address>')
    .argument('[target]', 'remove only this target')
    .description('delete an alias, or one of its targets')
    .action(async (address: string, target: string | undefined, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        await removeAlias(store, address, target);
        process.stdout.write(target ? `removed ${target} from alias ${address}\n` : `deleted alias ${address}\n`);
      });
    });

  alias
    .command('list')
    .option('--domain <domain>', 'only aliases of this domain')
    .option('--json', 'print JSON')
    .description('list aliases')
    .action(async (opts: { domain?: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const aliases = (await store.listAliases(opts.domain ? { domain: opts.domain } : {})).map((a) => ({
          address: a.address,
          targets: a.targets,
          createdAt: a.createdAt.toISOString(),
        }));
        if (opts.json) return printJson(aliases);
        printTable(['ALIAS', 'TARGETS'], aliases.map((a) => [a.address, a.targets.join(', ')]));
      });
    });
}
