import { Option, type Command } from 'commander';
import { parseDomain } from '@postern/address';
import { requireLocalDomain } from '@postern/directory';
import { generateDkimKey, type DkimAlgorithm } from '@postern/dkim';
import type { Store } from '@postern/store';
import { withStore, type GlobalOptions } from '../context.js';
import { dkimKeyJson, dkimRecordLine, keyStatus, nextDatedSelector, selectorArg, utcMinute } from '../dkim-keys.js';
import { activatePublishedKeys, activationLines, rotateDkimKeys } from '../dkim-rotation.js';
import { checkingResolver } from '../dns-check/run.js';
import { UsageFailure } from '../errors.js';
import { printJson, printLines } from '../output.js';

const ALGORITHMS: DkimAlgorithm[] = ['rsa', 'ed25519'];

async function localDomain(store: Store, input: string): Promise<string> {
  const domain = parseDomain(input);
  await requireLocalDomain(store, domain);
  return domain;
}

export function registerDkim(program: Command): void {
  const dkim = program.command('dkim').description('DKIM signing keys (opendkim-genkey): generate, show, rotate');

  dkim
    .command('generate')
    .argument('<domain>')
    .option('--selector <selector>', 'selector (default: the dated one, e.g. 202611, with a letter when the month has one)')
    .addOption(new Option('--algorithm <algorithm>', 'key type: RSA-2048 or Ed25519 (RFC 8463)').choices(ALGORITHMS).default('rsa'))
    .description('make a new active signing key for a local domain and print its DNS record')
    .action(async (input: string, opts: { selector?: string; algorithm: DkimAlgorithm }, cmd: Command) => {
      const wanted = opts.selector === undefined ? null : selectorArg(opts.selector);
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const domain = await localDomain(store, input);
        const keys = await store.listDkimKeys(domain);
        if (wanted !== null && keys.some((k) => k.selector.toLowerCase() === wanted)) {
          throw new UsageFailure(`${domain} already has a DKIM key with selector ${wanted} (see: postern dkim show ${domain})`);
        }
        const selector = wanted ?? nextDatedSelector(keys.map((k) => k.selector), new Date());
        const key = await store.addDkimKey({ domain, selector, ...generateDkimKey(opts.algorithm), active: true });
        printLines([
          `generated ${key.algorithm} DKIM key ${key.selector} for ${domain}; mail from ${domain} is signed with it`,
          'Publish this DNS record:',
          `  ${dkimRecordLine(key)}`,
        ]);
      });
    });

  dkim
    .command('show')
    .argument('<domain>')
    .option('--json', 'print JSON')
    .description("show a domain's keys with their DNS records")
    .action(async (input: string, opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const now = new Date();
        const domain = await localDomain(store, input);
        const keys = await store.listDkimKeys(domain);
        if (opts.json) return printJson(keys.map((k) => dkimKeyJson(k, now)));
        if (keys.length === 0) return printLines([`${domain} has no DKIM key (make one with: postern dkim generate ${domain})`]);
        printLines(keys.flatMap((k, i) => [...(i > 0 ? [''] : []), `${k.selector} (${k.algorithm}, ${keyStatus(k, now)}; created ${utcMinute(k.createdAt)})`, `  ${dkimRecordLine(k)}`]));
      });
    });

  dkim
    .command('rotate')
    .argument('<domain>')
    .addOption(new Option('--algorithm <algorithm>', 'rotate only this key type (default: every type the domain signs with, else rsa)').choices(ALGORITHMS))
    .description('make new dated keys, pending: they sign once their record is published (dns check, dkim activate) or after dkim.publish_delay')
    .action(async (input: string, opts: { algorithm?: DkimAlgorithm }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const domain = await localDomain(store, input);
        const now = new Date();
        const rotation = await rotateDkimKeys(store, domain, { algorithm: opts.algorithm ?? null, publishDelayMs: config.dkim.publish_delay, now });
        const lines: string[] = [];
        for (const key of rotation.added) {
          lines.push(
            `new ${key.algorithm} DKIM key ${key.selector} for ${domain}, pending: the current key signs until this record is published. Publish it now:`,
            `  ${dkimRecordLine(key)}`,
            `then run: postern dns check ${domain} (or postern dkim activate ${domain}); unchecked, it signs from ${utcMinute(key.activateAt ?? now)} (dkim.publish_delay)`,
          );
        }
        for (const key of rotation.replaced) {
          lines.push(`deleted the earlier pending key ${key.selector} (${key.algorithm}), which never signed: remove ${key.selector}._domainkey.${domain} from DNS if you published it`);
        }
        for (const key of rotation.deleted) {
          lines.push(`deleted key ${key.selector} (${key.algorithm}), retired since ${utcMinute(key.retireAt ?? now)}: remove ${key.selector}._domainkey.${domain} from DNS if it is still there`);
        }
        printLines(lines);
      });
    });

  dkim
    .command('activate')
    .argument('<domain>')
    .argument('[selector]', 'the pending key (default: every pending key of the domain)')
    .option('--force', 'activate without looking the record up in DNS')
    .description("start signing with a pending key once its TXT record is seen in DNS; the old key stays published for dkim.rotation_grace")
    .action(async (input: string, selectorInput: string | undefined, opts: { force?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const domain = await localDomain(store, input);
        const selector = selectorInput === undefined ? undefined : selectorArg(selectorInput);
        const now = new Date();
        const { activations, waiting } = await activatePublishedKeys(store, domain, {
          resolver: checkingResolver(config),
          ...(selector === undefined ? {} : { selector }),
          force: opts.force === true,
          graceMs: config.dkim.rotation_grace,
          now,
        });
        if (activations.length === 0 && waiting.length === 0) {
          throw new UsageFailure(selector === undefined ? `${domain} has no pending DKIM key (make one: postern dkim rotate ${domain})` : `${domain} has no pending DKIM key ${selector} (see: postern dkim show ${domain})`);
        }
        printLines(activationLines(domain, activations, now));
        if (waiting.length > 0) {
          throw new UsageFailure(waiting.map(({ key, problem }) => `${key.selector} stays pending: ${problem}`).join('; '));
        }
      });
    });
}

