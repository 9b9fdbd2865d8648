import type { Command } from 'commander';
import { addAlias, localHostNames, myOrigin, qualifyLocalName, removeAlias } from '@postern/directory';
import type { PosternConfig } from '@postern/config';
import type { Store } from '@postern/store';
import { withStore, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

/** "root" or "root@localhost" is the system's name root at myorigin (Postfix alias_maps: root: alice). */
async function localNames(store: Store, config: PosternConfig): Promise<(input: string) => string> {
  const origin = await myOrigin(store, config);
  const names = localHostNames(config);
  return (input) => qualifyLocalName(input.trim(), origin, names);
}

export function registerAlias(program: Command): void {
  const alias = program.command('alias').description('manage aliases (virtual_alias_maps); "@domain" is a catch-all');

  alias
    .command('add')
    .argument('<address>', 'alias address, @domain for a catch-all, or a bare name such as root (at myorigin)')
    .argument('<targets...>', 'one or more target addresses (bare names are at myorigin too)')
    .description('add an alias, or more targets to an existing one')
    .action(async (address: string, targets: string[], _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const qualify = await localNames(store, config);
        const saved = await addAlias(store, qualify(address), targets.map(qualify), { recipientDelimiter: config.smtpd.recipient_delimiter });
        process.stdout.write(`alias ${saved.address} → ${saved.targets.join(', ')}\n`);
      });
    });

  alias
    .command('del')
    .argument('<address>')
    .argument('[target]', 'remove only this target')
    .description('delete an alias, or one of its targets')
    .action(async (address: string, target: string | undefined, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const qualify = await localNames(store, config);
        await removeAlias(store, qualify(address), target === undefined ? undefined : qualify(target));
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
