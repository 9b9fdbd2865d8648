import type { PosternConfig } from '@postern/config';
import type { Store } from '@postern/store';
import { failed, type Finding } from '../dns-check/finding.js';
import { checkConfiguredDomain } from '../dns-check/run.js';
import { finding, type DoctorFinding } from './finding.js';

function names(findings: Finding[]): string {
  return [...new Set(findings.map((f) => `${f.check} ${f.name}`))].join(', ');
}

/** `dns check` of each domain, one line per domain: the required records first, then the optional ones. */
export async function checkDns(store: Store, config: PosternConfig, domains: string[]): Promise<DoctorFinding[]> {
  return Promise.all(
    domains.map(async (domain) => {
      const findings = await checkConfiguredDomain(store, config, domain);
      const fix = `postern dns check ${domain} prints the records to publish`;
      const required = findings.filter(failed);
      if (required.length > 0) return finding('dns', domain, 'fail', `required records missing, wrong or unreadable: ${names(required)}`, fix);
      const optional = findings.filter((f) => f.status !== 'ok');
      if (optional.length > 0) return finding('dns', domain, 'warn', `required records right; not right: ${names(optional)}`, fix);
      return finding('dns', domain, 'ok', `${findings.length} records right`);
    }),
  );
}
