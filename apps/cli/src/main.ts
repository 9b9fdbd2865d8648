#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerAlias } from './commands/alias.js';
import { registerBackup } from './commands/backup.js';
import { registerBan } from './commands/ban.js';
import { registerConfig } from './commands/config.js';
import { registerDkim } from './commands/dkim.js';
import { registerDmarc } from './commands/dmarc.js';
import { registerDns } from './commands/dns.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDomain } from './commands/domain.js';
import { registerImport } from './commands/import.js';
import { registerInit } from './commands/init.js';
import { registerInstall } from './commands/install.js';
import { registerPw } from './commands/pw.js';
import { registerQueue } from './commands/queue.js';
import { registerTlsRpt } from './commands/tlsrpt.js';
import { registerReload } from './commands/reload.js';
import { registerSender } from './commands/sender.js';
import { registerSendmail } from './commands/sendmail.js';
import { registerServe } from './commands/serve.js';
import { registerSieve } from './commands/sieve.js';
import { registerTrace } from './commands/trace.js';
import { registerUser } from './commands/user.js';
import { registerVacation } from './commands/vacation.js';
import { isExpectedError, oneLine } from './errors.js';

// SPEC §3: exit 0 on success, 1 with one line on stderr for an error, 2 for bad usage.
const EXIT_ERROR = 1;
const EXIT_USAGE = 2;

function buildProgram(): Command {
  const program = new Command('postern')
    .description('Postern mail server: administration and services')
    .option('-c, --config <file>', 'configuration file (default: $POSTERN_CONFIG, else /etc/postern/postern.toml)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerInit(program);
  registerConfig(program);
  registerDomain(program);
  registerUser(program);
  registerAlias(program);
  registerSender(program);
  registerBan(program);
  registerSieve(program);
  registerVacation(program);
  registerDkim(program);
  registerDns(program);
  registerDoctor(program);
  registerQueue(program);
  registerTlsRpt(program);
  registerDmarc(program);
  registerTrace(program);
  registerSendmail(program);
  registerPw(program);
  registerServe(program);
  registerReload(program);
  registerInstall(program);
  registerBackup(program);
  registerImport(program);
  // Every subcommand reports usage errors through the same exit path.
  const override = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().showHelpAfterError('(run with --help for usage)');
      override(sub);
    }
  };
  override(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (isExpectedError(err)) {
      process.stderr.write(`postern: ${oneLine(err.message)}\n`);
      return EXIT_ERROR;
    }
    process.stderr.write(`postern: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    if (process.env.POSTERN_DEBUG) console.error(err);
    return EXIT_ERROR;
  }
}

process.exitCode = await main(process.argv);
