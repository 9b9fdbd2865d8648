import type { Command } from 'commander';
import { createResolver } from '@postern/dns';
import { createLogger } from '@postern/log';
import { sendDueTlsReports, sendTlsReportsForDay } from '@postern/queue';
import { withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { printJson, printLines } from '../output.js';
import { reportRunLine } from '../report-runs.js';

export function registerTlsRpt(program: Command): void {
  const tlsrpt = program.command('tlsrpt').description('SMTP TLS reports (RFC 8460) on outbound TLS, per recipient domain');

  tlsrpt
    .command('send')
    .option('--day <YYYY-MM-DD>', 'send the reports of this UTC day (today included); default: every finished day')
    .option('--json', 'print JSON')
    .description('queue the aggregate TLS reports now, as the MTA does daily when tlsrpt.enabled, to each domain\'s _smtp._tls rua=mailto: addresses')
    .action(async (opts: { day?: string; json?: boolean }, cmd: Command) => {
      if (opts.day !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.day)) cmd.error(`error: --day ${JSON.stringify(opts.day)} is not a date such as 2026-03-01`, { exitCode: 2, code: 'postern.usage' });
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        if (!config.tlsrpt.enabled) throw new UsageFailure('tlsrpt.enabled is false: no TLS sessions are counted, so there is nothing to report (postern config set tlsrpt.enabled true)');
        const deps = { config, store, resolver: createResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, dnssecTrusted: config.dns.dnssec_trusted, cache: false }), logger: createLogger({ level: 'silent' }) };
        const runs = opts.day === undefined ? await sendDueTlsReports(deps) : await sendTlsReportsForDay(deps, opts.day);
        if (opts.json) return printJson(runs);
        printLines(runs.length === 0 ? ['no TLS sessions to report'] : runs.map(reportRunLine));
      });
    });
}
