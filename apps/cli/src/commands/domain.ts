import type { Command } from 'commander';
import { generateDkimKey } from '@postern/dkim';
import { addDomain, deleteDomain } from '@postern/directory';
import { withStore, type GlobalOptions } from '../context.js';
import { nextDatedSelector } from '../dkim-keys.js';
import { printJson, printLines, printTable } from '../output.js';
import { recordsToPublish } from '../records.js';

export function registerDomain(program: Command): void {
  const domain = program.command('domain').description('manage local domains (virtual_mailbox_domains)');

  domain
    .command('add')
    .argument('<domain>')
    .option('--no-dkim', 'do not generate a DKIM signing key')
    .description('add a local domain (with an RSA DKIM key, so that its mail is signed at once)')
    .action(async (name: string, opts: { dkim: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const added = await addDomain(store, name);
        process.stdout.write(`added domain ${added.name}\n`);
        if (opts.dkim && !(await store.listDkimKeys(added.name)).some((key) => key.active)) {
          // OpenDKIM setups make one key per domain with opendkim-genkey; here it comes with the domain.
          const selector = nextDatedSelector([], new Date());
          await store.addDkimKey({ domain: added.name, selector, ...generateDkimKey('rsa') });
          process.stdout.write(`DKIM key ${selector} (rsa)\n`);
        }
        // The same records `init` prints.
        printLines(['', ...recordsToPublish(added.name, config.hostname, await store.listDkimKeys(added.name))]);
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
