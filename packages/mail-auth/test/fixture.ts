// Shared fixtures: a real SQLite store with DKIM keys, a local DNS server publishing them, real config validation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, type PosternConfig } from '@postern/config';
import { dkimTxtRecord, generateDkimKey, type DkimAlgorithm } from '@postern/dkim';
import { createResolver, type Resolver } from '@postern/dns';
import { openStore, type DkimKey, type Store } from '@postern/store';
import { startDnsServer, type DnsTestServer, type ZoneRecords } from '../../../test/support/dns-server.js';

export const HOSTNAME = 'mx.postern.example';

/** A validated config with defaults filled in as `postern start` sees them. */
export function configWith(sections: Record<string, unknown> = {}): PosternConfig {
  return validateConfig({ hostname: HOSTNAME, ...sections }, 'test.toml');
}

/** A plain message with CRLF line ends; `headers` go on top of the usual ones. */
export function message(from: string, options: { headers?: string[]; body?: string; subject?: string } = {}): Buffer {
  const lines = [
    ...(options.headers ?? []),
    `From: ${from}`,
    'To: Bob <bob@postern.example>',
    `Subject: ${options.subject ?? 'Quarterly report'}`,
    'Date: Mon, 02 Nov 2026 10:00:00 +0000',
    'Message-ID: <report-1@mail.example>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${options.body ?? 'The numbers are in.\r\n\r\nAlice\r\n'}`);
}

export interface World {
  dir: string;
  store: Store;
  dns: DnsTestServer;
  resolver: Resolver;
  /** Zone entries added by addKey, kept so setZone can merge them back. */
  keyZone: ZoneRecords;
  /** Generates a key, stores it and publishes it in DNS (unless publish is false). */
  addKey(domain: string, selector: string, algorithm: DkimAlgorithm, options?: { active?: boolean; publish?: boolean }): Promise<DkimKey>;
  /** Replaces the zone, keeping the published keys. */
  setZone(zone: ZoneRecords): void;
  close(): Promise<void>;
}

/** A temp dir with a SQLite store, a DNS server answering `zone` and a resolver asking only it, uncached. */
export async function openWorld(zone: ZoneRecords = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-mail-auth-'));
  const store = await openStore({ backend: 'sqlite', path: join(dir, 'store.sqlite') });
  const dns = await startDnsServer(zone);
  let baseZone = zone;
  const keyZone: ZoneRecords = {};
  // Short timeouts: the TIMEOUT zone entries cost this much per lookup.
  const resolver = createResolver({ servers: [dns.address], timeoutMs: 400, cache: false });
  return {
    dir,
    store,
    dns,
    resolver,
    keyZone,
    async addKey(domain, selector, algorithm, options = {}) {
      const generated = generateDkimKey(algorithm);
      const key = await store.addDkimKey({ domain, selector, algorithm, privateKey: generated.privateKey, publicKey: generated.publicKey, active: options.active ?? true });
      if (options.publish !== false) {
        const record = dkimTxtRecord(domain, selector, algorithm, generated.publicKey);
        keyZone[record.name] = { TXT: [record.value] };
        dns.set({ ...baseZone, ...keyZone });
      }
      return key;
    },
    setZone(next) {
      baseZone = next;
      dns.set({ ...baseZone, ...keyZone });
    },
    async close() {
      await store.close();
      await dns.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The header section of a message (everything before the first empty line) as text. */
export function headerText(data: Buffer): string {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return end < 0 ? text : text.slice(0, end + 2);
}

/** Every field of `name` in a header block, unfolded. */
export function fields(header: string, name: string): string[] {
  const unfolded = header.replace(/\r\n(?=[ \t])/g, '');
  return unfolded
    .split('\r\n')
    .filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((line) => line.slice(name.length + 1).trim());
}

/** The value of tag `tag` in a DKIM-Signature field value (RFC 6376 §3.2 tag-list), whitespace removed. */
export function dkimTag(signature: string, tag: string): string | undefined {
  for (const part of signature.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === tag) return part.slice(eq + 1).replace(/\s+/g, '');
  }
  return undefined;
}
