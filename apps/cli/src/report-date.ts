// The day a `tlsrpt send` / `dmarc report send` run covers: --date YYYY-MM-DD for both (--day, its old
// name on tlsrpt send, still accepted).
import { Option, type Command } from 'commander';

export interface ReportDateOptions {
  date?: string;
  day?: string;
}

/** Adds --date, and --day as a hidden alias of it. */
export function addReportDateOption(command: Command): Command {
  return command
    .option('--date <YYYY-MM-DD>', 'send the reports of this UTC day (today included); default: every finished day')
    .addOption(new Option('--day <YYYY-MM-DD>', 'the same as --date').hideHelp());
}

/** The day asked for, or undefined for every finished day; a bad value or two different ones end the command with exit code 2. */
export function reportDate(opts: ReportDateOptions, cmd: Command): string | undefined {
  if (opts.date !== undefined && opts.day !== undefined && opts.date !== opts.day) cmd.error('error: --date and --day name different days (--day is the old name of --date)', { exitCode: 2, code: 'postern.usage' });
  const date = opts.date ?? opts.day;
  const given = opts.date !== undefined ? '--date' : '--day';
  if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date)) cmd.error(`error: ${given} ${JSON.stringify(date)} is not a date such as 2026-03-01`, { exitCode: 2, code: 'postern.usage' });
  return date;
}
