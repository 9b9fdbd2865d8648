import type { Command } from 'commander';
import { allowSender, denySender } from '@postern/directory';
import { withStore, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerSender(program: Command): void {
  const sender = program
    .command('sender')
    .description('sender-login map (smtpd_sender_login_maps): who may send as which address; users own their address and aliases already');

  sender
    .command('allow')
    .argument('<address>', 'sender address, or @domain')
    .argument('<login>', 'the user that may send as it')
    .description('let LOGIN send as ADDRESS')
    .action(async (address: string, login: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const entry = await allowSender(store, address, login);
        process.stdout.write(`${entry.login} may send as ${entry.address}\n`);
      });
    });

  sender
    .command('deny')
    .argument('<address>')
    .argument('<login>')
    .description('withdraw a grant made with "sender allow"')
    .action(async (address: string, login: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        await denySender(store, address, login);
        process.stdout.write(`${login.toLowerCase()} may no longer send as ${address.toLowerCase()}\n`);
      });
    });

  sender
    .command('list')
    .option('--json', 'print JSON')
    .description('list explicit grants')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const entries = (await store.listSenderLogins()).map((e) => ({ address: e.address, login: e.login, createdAt: e.createdAt.toISOString() }));
        if (opts.json) return printJson(entries);
        printTable(['SENDER', 'LOGIN'], entries.map((e) => [e.address, e.login]));
      });
    });
}
