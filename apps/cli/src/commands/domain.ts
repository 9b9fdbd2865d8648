import type { Command } from 'commander';
import { addDomain, deleteDomain } from '@postern/directory';
import { withStore, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerDomain(program: Command): void {
  const domain = program.command('domain').description('manage local domains (virtual_mailbox_domains)');

  domain
    .command('add')
    .argument('<domain>')
    .description('add a local domain')
    .action(async (name: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const added = await addDomain(store, name);
        process.stdout.write(`added domain ${added.name}\n`);
      });
    });

  domain
    .command('del')
    .argument('<domain>')
    .option('--force', 'also delete its users (with their mail), aliases and DKIM keys')
    .description('delete a local domain')
    .action(async (name: string, opts: { force?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        await deleteDomain(store, name, { force: opts.force === true });
        process.stdout.write(`deleted domain ${name.toLowerCase()}\n`);
      });
    });

  domain
    .command('list')
    .option('--json', 'print JSON')
    .description('list local domains')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const domains = await store.listDomains();
        const rows = await Promise.all(
          domains.map(async (d) => ({ name: d.name, users: await store.countUsers({ domain: d.name }), createdAt: d.createdAt.toISOString() })),
        );
        if (opts.json) return printJson(rows);
        printTable(['DOMAIN', 'USERS', 'CREATED'], rows.map((r) => [r.name, r.users, r.createdAt]));
      });
    });
}
