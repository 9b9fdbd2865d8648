import type { Command } from 'commander';
import { parseDomain } from '@postern/address';
import { requireLocalDomain } from '@postern/directory';
import { withStore, type GlobalOptions } from '../context.js';
import { failed } from '../dns-check/finding.js';
import { dnsCheckReport, reportLines } from '../dns-check/report.js';
import { checkConfiguredDomain, checkingResolver } from '../dns-check/run.js';
import { activatePublishedKeys, activationLines } from '../dkim-rotation.js';
import { UsageFailure } from '../errors.js';
import { printJson, printLines } from '../output.js';

export function registerDns(program: Command): void {
  const dns = program.command('dns').description('check the DNS records of a domain');

  dns
    .command('check')
    .argument('<domain>')
    .option('--json', 'print JSON')
    .description('check A/AAAA, PTR, MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT and SRV records; print the records to publish (exit 1 when a required one is missing or wrong)')
    .action(async (input: string, opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const domain = parseDomain(input);
        await requireLocalDomain(store, domain);
        const resolver = checkingResolver(config);
        const now = new Date();
        // A pending DKIM key (postern dkim rotate) whose record is now published starts signing.
        const { activations } = await activatePublishedKeys(store, domain, { resolver, graceMs: config.dkim.rotation_grace, now });
        const findings = await checkConfiguredDomain(store, config, domain, resolver);
        const report = dnsCheckReport(domain, config.hostname, findings);
        if (opts.json) printJson(activations.length > 0 ? { ...report, dkimActivated: activations.map((a) => a.activated.selector) } : report);
        else printLines([...reportLines(report), ...(activations.length > 0 ? ['', ...activationLines(domain, activations, now)] : [])]);
        if (!report.ok) throw new UsageFailure(`${domain}: a required DNS record is missing or wrong (${[...new Set(findings.filter(failed).map((f) => f.check))].join(', ')})`);
      });
    });
}
