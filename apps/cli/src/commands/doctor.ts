import type { Command } from 'commander';
import { ConfigError, loadConfig, storeOptions, type PosternConfig } from '@postern/config';
import { openStore, type Store } from '@postern/store';
import { validateAsStart } from '../config-validation.js';
import { configPath, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { checkAuthenticationResults } from '../doctor/authentication-checks.js';
import { checkCertificates } from '../doctor/certificate-checks.js';
import { checkDns } from '../doctor/dns-checks.js';
import { doctorLines, doctorReport, finding, type DoctorFinding } from '../doctor/finding.js';
import { checkClock, checkDisk } from '../doctor/host-checks.js';
import { checkPorts } from '../doctor/port-checks.js';
import { checkOpenRelay } from '../doctor/relay-checks.js';
import { checkDkimKeys, checkQueue, checkStore } from '../doctor/store-checks.js';
import { printJson, printLines } from '../output.js';
import { runningServices } from '../reload/pid-file.js';

/** The config as `start` would take it, or the one finding that says why not. */
function configFinding(path: string): { config: PosternConfig | null; finding: DoctorFinding } {
  let config: PosternConfig;
  try {
    config = loadConfig(path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { config: null, finding: finding('config', path, 'fail', err.message, `fix the file, then postern config check`) };
  }
  try {
    validateAsStart(config);
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof UsageFailure)) throw err;
    return { config, finding: finding('config', path, 'fail', err.message, `fix the file, then postern config check`) };
  }
  return { config, finding: finding('config', path, 'ok', 'valid (as start checks it)') };
}

async function storeFindings(config: PosternConfig, now: Date): Promise<DoctorFinding[]> {
  let store: Store;
  try {
    store = await openStore(storeOptions(config));
  } catch (err) {
    return [finding('store', config.store.backend, 'fail', `cannot be opened: ${(err as Error).message}`, 'check [store] and data_dir')];
  }
  try {
    const reachable = await checkStore(store);
    if (reachable.status === 'fail') return [reachable];
    const domains = (await store.listDomains()).map((d) => d.name);
    if (domains.length === 0) return [reachable, finding('dns', 'domains', 'fail', 'no local domain: no mail is accepted for anyone', 'postern domain add DOMAIN')];
    return [reachable, ...(await checkDkimKeys(store, domains)), await checkQueue(store, config, now), ...(await checkDns(store, config, domains)), ...(await checkAuthenticationResults(store, config, domains))];
  } finally {
    await store.close();
  }
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .option('--json', 'print JSON')
    .description('check the whole installation: config, certificates, ports, open relay, store, DKIM keys, queue, DNS, SPF/DKIM/DMARC of a self-addressed message, disk and clock (exit 1 on any ✗)')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const path = configPath(cmd.optsWithGlobals<GlobalOptions>());
      const now = new Date();
      const { config, finding: configChecked } = configFinding(path);
      const findings = [configChecked];
      if (config !== null) {
        findings.push(...checkCertificates(config, now), ...(await checkPorts(config, { singleProcess: runningServices(config.data_dir).some((s) => s.role === 'start') })), await checkOpenRelay(config), ...(await storeFindings(config, now)), checkDisk(config.data_dir));
      }
      findings.push(checkClock(now));
      const report = doctorReport(config?.hostname ?? '?', findings);
      if (opts.json) printJson(report);
      else printLines(doctorLines(report));
      if (!report.ok) throw new UsageFailure(`doctor: ${findings.filter((f) => f.status === 'fail').length} problem(s) found (${[...new Set(findings.filter((f) => f.status === 'fail').map((f) => f.check))].join(', ')})`);
    });
}
