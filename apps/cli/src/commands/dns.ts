import type { Command } from 'commander';
import { parseDomain } from '@postern/address';
import { parseListenAddress, type PosternConfig } from '@postern/config';
import { requireLocalDomain } from '@postern/directory';
import { createResolver } from '@postern/dns';
import { withStore, type GlobalOptions } from '../context.js';
import { checkDomainDns } from '../dns-check/checks.js';
import { failed } from '../dns-check/finding.js';
import { dnsCheckReport, reportLines } from '../dns-check/report.js';
import { UsageFailure } from '../errors.js';
import { printJson, printLines } from '../output.js';
import { MAIL_SRV_SERVICES, type MailSrvService } from '../records.js';

/** The port of the first configured address of each RFC 6186 service, null when it has none. */
function srvPorts(config: PosternConfig): Record<MailSrvService, number | null> {
  const ports = {} as Record<MailSrvService, number | null>;
  for (const service of MAIL_SRV_SERVICES) {
    const first = config.listen[service][0];
    const address = first === undefined ? null : parseListenAddress(first, { allowUnix: false });
    ports[service] = address !== null && address.kind === 'tcp' ? address.port : null;
  }
  return ports;
}

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
        // [dns] servers, uncached: a record just published is seen at once.
        const resolver = createResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, cache: false });
        const findings = await checkDomainDns({ domain, hostname: config.hostname, dkimKeys: await store.listDkimKeys(domain), srvPorts: srvPorts(config), resolver });
        const report = dnsCheckReport(domain, config.hostname, findings);
        if (opts.json) printJson(report);
        else printLines(reportLines(report));
        if (!report.ok) throw new UsageFailure(`${domain}: a required DNS record is missing or wrong (${[...new Set(findings.filter(failed).map((f) => f.check))].join(', ')})`);
      });
    });
}
