// OpenDKIM's KeyTable and SigningTable (opendkim.conf(5)) and their key files: keys into the
// store, the signing table into dkim.signing_table.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { dkimKeyFromPem } from '@postern/dkim';
import type { Store } from '@postern/store';
import type { ConfigEdits } from './config-edits.js';
import type { ImportReport } from './report.js';

interface KeyTableEntry {
  name: string;
  domain: string;
  selector: string;
  file: string;
}

/** "file:" / "refile:" prefixes name a plain file (refile: with patterns on the left). */
function tablePath(value: string, dir: string): string {
  const path = value.replace(/^(re)?file:/, '');
  return isAbsolute(path) && existsSync(path) ? path : join(dir, path.replace(/^\/etc\/opendkim\/?/, ''));
}

/** The KeyTable and SigningTable paths: from opendkim.conf when there is one, else the usual names in DIR. */
function tables(dir: string): { keyTable: string | null; signingTable: string | null } {
  const conf = [join(dir, 'opendkim.conf'), join(dir, '..', 'opendkim.conf')].find(existsSync);
  const named: Record<string, string> = {};
  if (conf) {
    for (const line of readFileSync(conf, 'utf8').split('\n')) {
      const match = /^\s*(KeyTable|SigningTable)\s+(\S+)/.exec(line);
      if (match?.[1] && match[2]) named[match[1]] = tablePath(match[2], dir);
    }
  }
  const pick = (given: string | undefined, names: string[]): string | null => given ?? names.map((n) => join(dir, n)).find(existsSync) ?? null;
  return { keyTable: pick(named.KeyTable, ['KeyTable', 'key.table']), signingTable: pick(named.SigningTable, ['SigningTable', 'signing.table']) };
}

function lines(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(#|$)/.test(line))
    .map((line) => line.trim().split(/\s+/));
}

export async function importOpendkim(store: Store, dir: string, edits: ConfigEdits, report: ImportReport): Promise<void> {
  const { keyTable, signingTable } = tables(dir);
  if (!keyTable) throw new Error(`${dir}: no KeyTable (looked in opendkim.conf, KeyTable, key.table)`);
  const keys = new Map<string, KeyTableEntry>();
  for (const [name, value] of lines(keyTable)) {
    // KeyTable: NAME DOMAIN:SELECTOR:KEYPATH
    const [domain, selector, ...path] = (value ?? '').split(':');
    if (!name || !domain || !selector || path.length === 0) {
      report.notImported(`KeyTable: ${name ?? ''} ${value ?? ''} (expected NAME DOMAIN:SELECTOR:KEYFILE)`);
      continue;
    }
    keys.set(name, { name, domain: domain.toLowerCase(), selector, file: tablePath(path.join(':'), dir) });
  }
  for (const entry of keys.values()) {
    const where = `DKIM key ${entry.selector}._domainkey.${entry.domain}`;
    if (!existsSync(entry.file)) {
      report.notImported(`${where}: no key file ${entry.file}`);
      continue;
    }
    let key;
    try {
      key = dkimKeyFromPem(readFileSync(entry.file, 'utf8'));
    } catch (err) {
      report.notImported(`${where}: ${entry.file}: ${(err as Error).message}`);
      continue;
    }
    const existing = (await store.listDkimKeys(entry.domain)).find((k) => k.selector === entry.selector);
    if (existing) {
      if (existing.publicKey === key.publicKey) report.same(where);
      else report.notImported(`${where}: Postern already has another key under this selector; left as is`);
      continue;
    }
    if (!(await store.getDomain(entry.domain))) {
      report.change(`add domain ${entry.domain}`);
      if (!report.dryRun) await store.addDomain(entry.domain);
    }
    report.change(`add ${where} (${key.algorithm}, signing)`);
    if (!report.dryRun) await store.addDkimKey({ domain: entry.domain, selector: entry.selector, algorithm: key.algorithm, privateKey: key.privateKey, publicKey: key.publicKey, active: true });
  }
  if (!signingTable) return;
  const signing: Record<string, string> = {};
  for (const [pattern, name] of lines(signingTable)) {
    const key = name === undefined ? undefined : keys.get(name);
    if (!pattern || !key) {
      report.notImported(`SigningTable: ${pattern ?? ''} ${name ?? ''} (no such KeyTable entry)`);
      continue;
    }
    signing[pattern.toLowerCase()] = key.selector;
  }
  if (Object.keys(signing).length > 0) edits.set('dkim.signing_table', signing, 'OpenDKIM SigningTable');
}
