import { chmodSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { configPath, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';

// The first line after the shebang marks a wrapper as ours, so that a second install replaces it.
const MARK = '# Installed by `postern install sendmail`';

/** A single-quoted sh word (POSIX: no escape inside single quotes, so ' closes, escapes and reopens). */
function shellWord(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function wrapper(command: string[], what: string): string {
  return `#!/bin/sh\n${MARK}: ${what}\nexec ${command.map(shellWord).join(' ')} "$@"\n`;
}

function refuseForeign(path: string): void {
  if (existsSync(path) && !readFileSync(path, 'latin1').includes(MARK)) {
    throw new UsageFailure(`${path} exists and is not Postern's (another MTA's?): remove that MTA's package, or add --force to replace it`);
  }
}

function install(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

export function registerInstall(program: Command): void {
  const installCommand = program.command('install').description('install system integration');
  installCommand
    .command('sendmail')
    .option('--sbin <dir>', 'where sendmail goes', '/usr/sbin')
    .option('--bin <dir>', 'where mailq goes', '/usr/bin')
    .option('--force', 'replace a sendmail or mailq that is not Postern\'s')
    .description('install /usr/sbin/sendmail and /usr/bin/mailq for cron, mail(1) and daemons (they run postern sendmail and postern queue list with this config)')
    .action((opts: { sbin: string; bin: string; force?: boolean }, cmd: Command) => {
      // This very program, as node runs it, and the config it was given: the wrappers need no PATH or environment.
      const postern = [process.execPath, realpathSync(process.argv[1] ?? ''), '-c', configPath(cmd.optsWithGlobals<GlobalOptions>())];
      const sendmail = join(opts.sbin, 'sendmail');
      const mailq = join(opts.bin, 'mailq');
      if (opts.force !== true) [sendmail, mailq].forEach(refuseForeign);
      install(sendmail, wrapper([...postern, 'sendmail'], 'sendmail(1), as postern sendmail'));
      install(mailq, wrapper([...postern, 'queue', 'list'], 'mailq(1), as postern queue list'));
      process.stdout.write(`installed ${sendmail} and ${mailq}\n`);
    });
}
