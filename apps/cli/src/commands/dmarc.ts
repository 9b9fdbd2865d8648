import type { Command } from 'commander';
import { createResolver } from '@postern/dns';
import { createLogger } from '@postern/log';
import { sendDmarcReportsForDay, sendDueDmarcReports } from '@postern/queue';
import { withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { printJson, printLines } from '../output.js';
import { addReportDateOption, reportDate, type ReportDateOptions } from '../report-date.js';
import { reportRunLine } from '../report-runs.js';

export function registerDmarc(program: Command): void {
  const dmarc = program.command('dmarc').description('DMARC (RFC 7489) for the mail Postern receives');
  const report = dmarc.command('report').description('aggregate reports (RFC 7489 §7.2) to the domains whose DMARC records ask for them');

  addReportDateOption(report.command('send'))
    .option('--json', 'print JSON')
    .description("queue the DMARC aggregate reports now, as the MTA does daily when dmarc_reports.enabled, to each domain's rua=mailto: addresses")
    .action(async (opts: ReportDateOptions & { json?: boolean }, cmd: Command) => {
      const date = reportDate(opts, cmd);
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        if (!config.dmarc_reports.enabled) throw new UsageFailure('dmarc_reports.enabled is false: no DMARC results are counted, so there is nothing to report (postern config set dmarc_reports.enabled true)');
        const deps = { config, store, resolver: createResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, cache: false }), logger: createLogger({ level: 'silent' }) };
        // An operator asking now sends yesterday's at once, whatever dmarc_reports.send_hour says.
        const runs = date === undefined ? await sendDueDmarcReports(deps, endOfToday()) : await sendDmarcReportsForDay(deps, date);
        if (opts.json) return printJson(runs);
        printLines(runs.length === 0 ? ['no DMARC results to report'] : runs.map(reportRunLine));
      });
    });
}

/** The last millisecond of the UTC day: every finished day is due. */
function endOfToday(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 23, 59, 59, 999));
}
