// Shared fixtures for the policy tests: a real SQLite store, a local DNS server, real config validation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, type PosternConfig } from '@postern/config';
import { addAlias, addDomain, addUser, allowSender } from '@postern/directory';
import { createResolver } from '@postern/dns';
import { openStore, type Store } from '@postern/store';
import { startDnsServer, type DnsTestServer, type ZoneRecords } from '../../../test/support/dns-server.js';
import { compilePolicy, type PolicyCommand, type PolicyEnvironment, type SessionFacts, type Verdict } from '../src/index.js';

export const HOSTNAME = 'mx.example.com';

/** A validated config: defaults filled in exactly as `postern start` would see them. */
export function configWith(smtpd: Record<string, unknown> = {}, dns: Record<string, unknown> = {}): PosternConfig {
  return validateConfig({ hostname: HOSTNAME, smtpd, dns }, 'test.toml');
}

/** A remote client from outside mynetworks, with verified DNS, at RCPT TO for a local user. */
export function facts(overrides: Partial<SessionFacts> = {}): SessionFacts {
  return {
    service: 'smtp',
    clientAddress: '203.0.113.5',
    clientHostname: 'mail.sender.example',
    reverseClientHostname: 'mail.sender.example',
    helo: 'mail.sender.example',
    saslUsername: null,
    tls: false,
    sender: 'someone@sender.example',
    recipient: 'alice@example.com',
    recipientCount: 0,
    pipelinedEarly: false,
    ...overrides,
  };
}

/** DNS for the usual cast: a sender domain with MX, the client's names, nothing listed. */
export const BASE_ZONE: ZoneRecords = {
  'sender.example': { MX: [{ exchange: 'mail.sender.example', priority: 10 }], TXT: ['v=spf1 ip4:203.0.113.0/24 -all'] },
  'mail.sender.example': { A: ['203.0.113.5'] },
};

export interface TestWorld {
  dir: string;
  store: Store;
  dns: DnsTestServer;
  env: PolicyEnvironment;
  /** Writes a file in the world's temp dir and returns its path. */
  file(name: string, text: string): string;
  /** Compiles `smtpd` settings and evaluates one command. */
  verdict(smtpd: Record<string, unknown>, command: PolicyCommand, overrides?: Partial<SessionFacts>): Promise<Verdict>;
  close(): Promise<void>;
}

/**
 * Local domains example.com and example.org; users alice@ and bob@example.com
 * and carol@example.org; sales@example.com → bob; carol may also send as
 * newsletter@example.org (an explicit grant). The resolver asks only the
 * local DNS server, uncached unless `cache` is set.
 */
export async function openWorld(zone: ZoneRecords = BASE_ZONE, options: { cache?: boolean } = {}): Promise<TestWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-policy-'));
  const store = await openStore({ backend: 'sqlite', path: join(dir, 'store.sqlite') });
  await addDomain(store, 'example.com');
  await addDomain(store, 'example.org');
  for (const address of ['alice@example.com', 'bob@example.com', 'carol@example.org']) {
    await addUser(store, { address, passwordHash: '{PLAIN}x' });
  }
  await addAlias(store, 'sales@example.com', ['bob@example.com'], { recipientDelimiter: '+' });
  await allowSender(store, 'newsletter@example.org', 'carol@example.org');
  const dns = await startDnsServer(zone);
  const config = configWith({}, { servers: [dns.address], timeout_ms: 1000 });
  const resolver = createResolver({ servers: [dns.address], timeoutMs: 1000, cache: options.cache ? {} : false });
  const env: PolicyEnvironment = { config, store, resolver };
  return {
    dir,
    store,
    dns,
    env,
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    async verdict(smtpd, command, overrides = {}) {
      const policy = compilePolicy(configWith(smtpd, { servers: [dns.address] }));
      return policy.evaluate(command, facts(overrides), env);
    },
    async close() {
      await dns.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The reply a client would see, or "accept". */
export function reply(verdict: Verdict): string {
  return verdict.action === 'accept' ? 'accept' : `${verdict.code} ${verdict.enhanced} ${verdict.text}`;
}
