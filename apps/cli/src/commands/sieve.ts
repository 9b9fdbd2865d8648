import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { PosternConfig } from '@postern/config';
import { checkScript, ScriptRefusal, UserScripts } from '@postern/mailstore';
import type { Store, User } from '@postern/store';
import { withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { printJson, printTable } from '../output.js';
import { readStdin } from '../stdin.js';

export async function userOf(store: Store, address: string): Promise<User> {
  const user = await store.getUser(address);
  if (!user) throw new UsageFailure(`no such user: ${address} (see postern user list)`);
  return user;
}

/** The user's scripts under the same rules as ManageSieve (names, quota, compile check). */
export async function scriptsOf(store: Store, config: PosternConfig, address: string): Promise<UserScripts> {
  return new UserScripts(store, (await userOf(store, address)).id, config.sieve);
}

/** A script from FILE, or standard input for "-" or no FILE. */
async function readScript(file: string | undefined): Promise<string> {
  const bytes = file === undefined || file === '-' ? await readStdin() : await readFile(file).catch((error: Error) => Promise.reject(new UsageFailure(`cannot read ${file}: ${error.message}`)));
  return bytes.toString('utf8');
}

/** A ScriptRefusal is a message for the person at the terminal. */
export async function refusable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ScriptRefusal) throw new UsageFailure(error.message);
    throw error;
  }
}

export function registerSieve(program: Command): void {
  const sieve = program.command('sieve').description("users' Sieve filters (RFC 5228), the scripts ManageSieve clients edit");

  sieve
    .command('list')
    .argument('<user>')
    .option('--json', 'print JSON')
    .description("the user's scripts; the active one is marked")
    .action(async (address: string, opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const scripts = await (await scriptsOf(store, config, address)).list();
        if (opts.json) return printJson(scripts.map((s) => ({ name: s.name, active: s.active, size: s.size, updatedAt: s.updatedAt.toISOString() })));
        printTable(['NAME', 'ACTIVE', 'SIZE'], scripts.map((s) => [s.name, s.active ? 'yes' : '', s.size]));
      });
    });

  sieve
    .command('get')
    .argument('<user>')
    .argument('<name>')
    .description('print a script')
    .action(async (address: string, name: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const script = await refusable(async () => (await scriptsOf(store, config, address)).get(name));
        process.stdout.write(script.content);
      });
    });

  sieve
    .command('put')
    .argument('<user>')
    .argument('<name>')
    .argument('[file]', 'the script (default or "-": standard input)')
    .option('--activate', 'make it the active script too')
    .description('store a script after checking it compiles and fits sieve.max_scripts / sieve.max_script_size')
    .action(async (address: string, name: string, file: string | undefined, opts: { activate?: boolean }, cmd: Command) => {
      const content = await readScript(file);
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const scripts = await scriptsOf(store, config, address);
        await refusable(() => scripts.put(name, content));
        if (opts.activate) await refusable(() => scripts.activate(name));
        process.stdout.write(`stored ${name} for ${address.toLowerCase()}${opts.activate ? ' (active)' : ''}\n`);
      });
    });

  sieve
    .command('activate')
    .argument('<user>')
    .argument('<name>')
    .description('make NAME the one active script (RFC 5804 §2.8)')
    .action(async (address: string, name: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        await refusable(async () => (await scriptsOf(store, config, address)).activate(name));
        process.stdout.write(`${name} is the active script of ${address.toLowerCase()}\n`);
      });
    });

  sieve
    .command('deactivate')
    .argument('<user>')
    .description('no active script: mail is filed by sieve.before/after alone')
    .action(async (address: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        await refusable(async () => (await scriptsOf(store, config, address)).activate(''));
        process.stdout.write(`${address.toLowerCase()} has no active script\n`);
      });
    });

  sieve
    .command('delete')
    .argument('<user>')
    .argument('<name>')
    .description('delete a script (never the active one: deactivate it first)')
    .action(async (address: string, name: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        await refusable(async () => (await scriptsOf(store, config, address)).delete(name));
        process.stdout.write(`deleted ${name} of ${address.toLowerCase()}\n`);
      });
    });

  sieve
    .command('check')
    .argument('[file]', 'the script (default or "-": standard input)')
    .description('compile a script without storing it (a user\'s, or a sieve.before/after file)')
    .action(async (file: string | undefined) => {
      const label = file === undefined || file === '-' ? 'stdin' : file;
      const problem = checkScript(await readScript(file));
      if (problem !== null) throw new UsageFailure(`${label}: ${problem}`);
      process.stdout.write(`${label}: ok\n`);
    });
}
