import type { Command } from 'commander';
import { createResolver } from '@postern/dns';
import { createLogger } from '@postern/log';
import { sendDueTlsReports, sendTlsReportsForDay } from '@postern/queue';
import { withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { printJson, printLines } from '../output.js';
import { addReportDateOption, reportDate, type ReportDateOptions } from '../report-date.js';
import { reportRunLine } from '../report-runs.js';

export function registerTlsRpt(program: Command): void {
  const tlsrpt = program.command('tlsrpt').description('SMTP TLS reports (RFC 8460) on outbound TLS, per recipient domain');

  addReportDateOption(tlsrpt.command('send'))
    .option('--json', 'print JSON')
    .description('queue the aggregate TLS reports now, as the MTA does daily when tlsrpt.enabled, to each domain\'s _smtp._tls rua=mailto: addresses')
    .action(async (opts: ReportDateOptions & { json?: boolean }, cmd: Command) => {
      const day = reportDate(opts, cmd);
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        if (!config.tlsrpt.enabled) throw new UsageFailure('tlsrpt.enabled is false: no TLS sessions are counted, so there is nothing to report (postern config set tlsrpt.enabled true)');
        const deps = { config, store, resolver: createResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, dnssecTrusted: config.dns.dnssec_trusted, cache: false }), logger: createLogger({ level: 'silent' }) };
        const runs = day === undefined ? await sendDueTlsReports(deps) : await sendTlsReportsForDay(deps, day);
        if (opts.json) return printJson(runs);
        printLines(runs.length === 0 ? ['no TLS sessions to report'] : runs.map(reportRunLine));
      });
    });
}
