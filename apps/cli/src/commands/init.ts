import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AddressError, isFqdn, parseDomain } from '@postern/address';
import { loadConfig, renderInitialConfig, storeOptions } from '@postern/config';
import { addDomain } from '@postern/directory';
import { datedSelector, generateDkimKey } from '@postern/dkim';
import { openStore } from '@postern/store';
import { selfSignedCertificate } from '../certificate.js';
import { UsageFailure } from '../errors.js';
import { printLines } from '../output.js';
import { recordsToPublish } from '../records.js';

interface InitOptions {
  dir: string;
  hostname: string;
  domain: string;
  force?: boolean;
}

function nameArg(option: string, value: string): string {
  try {
    return parseDomain(value);
  } catch (err) {
    if (err instanceof AddressError) throw new UsageFailure(`--${option}: ${err.message}`);
    throw err;
  }
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .requiredOption('--dir <dir>', 'directory for postern.toml, the data and the certificate')
    .requiredOption('--hostname <host>', 'the server name (myhostname), e.g. mail.example.com')
    .requiredOption('--domain <domain>', 'the first mail domain, e.g. example.com')
    .option('--force', 'overwrite an existing configuration')
    .description('create a configuration, data directory, self-signed certificate and DKIM key; print the DNS records')
    .action(async (opts: InitOptions) => {
      const hostname = nameArg('hostname', opts.hostname);
      if (!isFqdn(hostname)) throw new UsageFailure(`--hostname: "${opts.hostname}" is not fully qualified (expected e.g. mail.example.com)`);
      const domain = nameArg('domain', opts.domain);
      const dir = resolve(opts.dir);
      const configFile = join(dir, 'postern.toml');
      if (existsSync(configFile) && !opts.force) {
        throw new UsageFailure(`${configFile} already exists (use --force to overwrite it)`);
      }

      const dataDir = join(dir, 'data');
      const tlsDir = join(dir, 'tls');
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      mkdirSync(tlsDir, { recursive: true, mode: 0o755 });
      const certPath = join(tlsDir, 'cert.pem');
      const keyPath = join(tlsDir, 'key.pem');
      const { cert, key } = await selfSignedCertificate(hostname);
      writeFileSync(certPath, cert, { mode: 0o644 });
      writeFileSync(keyPath, key, { mode: 0o600 });
      writeFileSync(configFile, renderInitialConfig({ hostname, dataDir, certPath, keyPath }), { mode: 0o640 });

      const config = loadConfig(configFile);
      const store = await openStore(storeOptions(config));
      try {
        if (!(await store.getDomain(domain))) await addDomain(store, domain);
        if (!(await store.listDkimKeys(domain)).some((k) => k.active)) {
          const generated = generateDkimKey('rsa');
          await store.addDkimKey({ domain, selector: datedSelector(), ...generated });
        }
        printLines([
          `wrote ${configFile}`,
          `self-signed certificate for ${hostname} in ${tlsDir} (replace with certbot's fullchain.pem/privkey.pem in [tls])`,
          `local domain ${domain} with a DKIM key`,
          '',
          ...recordsToPublish(domain, hostname, await store.listDkimKeys(domain)),
          '',
          `Next: postern -c ${configFile} user add postmaster@${domain} --password-stdin`,
        ]);
      } finally {
        await store.close();
      }
    });
}
