import type { Command } from 'commander';
import { hashPassword, parseScheme } from '@postern/auth';
import { UsageFailure } from '../errors.js';
import { readPasswordFromStdin } from '../stdin.js';

export function registerPw(program: Command): void {
  program
    .command('pw')
    .option('--scheme <scheme>', 'hash scheme (default: the current default, SCRYPT)')
    .description('hash a password read from standard input (doveadm pw)')
    .action(async (opts: { scheme?: string }) => {
      let scheme;
      try {
        scheme = opts.scheme === undefined ? undefined : parseScheme(opts.scheme);
      } catch (err) {
        throw new UsageFailure(`--scheme: ${(err as Error).message}`);
      }
      process.stdout.write(`${await hashPassword(await readPasswordFromStdin(), scheme)}\n`);
    });
}
