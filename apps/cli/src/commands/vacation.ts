import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { refusable, scriptsOf } from './sieve.js';

/** The script `vacation on` writes and `vacation off` removes. */
export const VACATION_SCRIPT = 'vacation';

/** RFC 5228 §2.4.2: a quoted string, with " and \ escaped. */
function sieveQuoted(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The small active script: one vacation action (RFC 5230 §4) with the given days, subject and text. */
export function vacationScript(options: { days: number; subject: string; message: string; from?: string }): string {
  const tags = [`:days ${options.days}`, `:subject ${sieveQuoted(options.subject)}`, ...(options.from ? [`:from ${sieveQuoted(options.from)}`] : [])];
  return `# Written by postern vacation on; postern vacation off removes it.\nrequire ["vacation"];\nvacation ${tags.join(' ')}\n  ${sieveQuoted(options.message)};\n`;
}

interface OnOptions {
  subject: string;
  days: string;
  message?: string;
  file?: string;
  from?: string;
}

export function registerVacation(program: Command): void {
  const vacation = program
    .command('vacation')
    .description('out-of-office replies (RFC 5230) as a small active Sieve script named "vacation"');

  vacation
    .command('on')
    .argument('<user>')
    .requiredOption('--subject <text>', 'subject of the reply')
    .option('--days <n>', 'answer each sender at most once in this many days', '7')
    .option('--message <text>', 'the reply text')
    .option('--file <file>', 'read the reply text from a file')
    .option('--from <address>', 'From of the reply (default: the user)')
    .description('turn the reply on; refused while the user has another active script (add a vacation rule to that one instead)')
    .action(async (address: string, opts: OnOptions, cmd: Command) => {
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1 || days > 365) throw new UsageFailure(`--days ${opts.days}: expected a whole number of days from 1 to 365`);
      if ((opts.message === undefined) === (opts.file === undefined)) throw new UsageFailure('give the reply text with exactly one of --message TEXT or --file FILE');
      const message: string = opts.message ?? (await readFile(opts.file as string, 'utf8').catch((error: Error) => Promise.reject(new UsageFailure(`cannot read ${opts.file}: ${error.message}`))));
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const scripts = await scriptsOf(store, config, address);
        const active = (await scripts.list()).find((s) => s.active);
        // One active script per user (RFC 5804 §2.8): replacing the user's own filters would silently drop them.
        if (active && active.name !== VACATION_SCRIPT) {
          throw new UsageFailure(`${address.toLowerCase()} has the active script "${active.name}": add a vacation rule to it (postern sieve get/put), or deactivate it first`);
        }
        const from = opts.from;
        const content = vacationScript(from === undefined ? { days, subject: opts.subject, message } : { days, subject: opts.subject, message, from });
        await refusable(() => scripts.put(VACATION_SCRIPT, content));
        await refusable(() => scripts.activate(VACATION_SCRIPT));
        process.stdout.write(`vacation reply on for ${address.toLowerCase()} (each sender at most once in ${days} days)\n`);
      });
    });

  vacation
    .command('off')
    .argument('<user>')
    .description('turn the reply off (deactivates and deletes the "vacation" script)')
    .action(async (address: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const scripts = await scriptsOf(store, config, address);
        const mine = (await scripts.list()).find((s) => s.name === VACATION_SCRIPT);
        if (!mine) {
          process.stdout.write(`${address.toLowerCase()} has no vacation reply\n`);
          return;
        }
        if (mine.active) await refusable(() => scripts.activate(''));
        await refusable(() => scripts.delete(VACATION_SCRIPT));
        process.stdout.write(`vacation reply off for ${address.toLowerCase()}\n`);
      });
    });
}
