// What a delivery test needs: a config text, a resolver on the test DNS server, a logger whose lines can be read.
import { Writable } from 'node:stream';
import { parseConfigText, type ListenAddress, type PosternConfig } from '@postern/config';
import { createResolver } from '@postern/dns';
import { createLogger } from '@postern/log';
import { contentOf } from '../../src/message-content.js';
import type { DeliveryContext, DeliveryRecipient, DeliveryRequest } from '../../src/types.js';

export const TEST_HOSTNAME = 'mail.test.example';

/** A config with hostname mail.test.example and the given extra TOML (e.g. "[smtp]\nport = 2525"). */
export function testConfig(toml: string): PosternConfig {
  return parseConfigText(`hostname = "${TEST_HOSTNAME}"\n${toml}`, '/tmp/x.toml');
}

export interface TestDelivery {
  ctx: DeliveryContext;
  /** The JSON log lines written so far. */
  logs(): Record<string, unknown>[];
}

export function testContext(options: { config: PosternConfig; dns: string; localDomains?: string[]; lmtp?: ListenAddress }): TestDelivery {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const local = new Set((options.localDomains ?? []).map((domain) => domain.toLowerCase()));
  return {
    ctx: {
      config: options.config,
      resolver: createResolver({ servers: [options.dns], timeoutMs: 1000, cache: false }),
      logger: createLogger({ name: 'test', level: 'debug', destination }),
      lmtp: options.lmtp ?? { kind: 'tcp', host: '127.0.0.1', port: 24 },
      isLocalDomain: async (domain) => local.has(domain.toLowerCase()),
    },
    logs: () => lines,
  };
}

let counter = 0;

/** A delivery request for recipients of one domain, with a small CRLF message (Subject: test, or the one given). */
export function testRequest(recipients: (string | DeliveryRecipient)[], { subject = 'test', ...overrides }: Partial<DeliveryRequest> & { subject?: string } = {}): DeliveryRequest {
  const list = recipients.map((recipient) => (typeof recipient === 'string' ? { address: recipient } : recipient));
  const domain = (list[0]?.address.split('@')[1] ?? '').toLowerCase();
  const message = Buffer.from(`From: alice@test.example\r\nTo: ${list.map((r) => r.address).join(', ')}\r\nSubject: ${subject}\r\nMessage-ID: <t${++counter}@test.example>\r\n\r\nHello.\r\n.leading dot\r\n`);
  return {
    queueId: `TESTQ${String(counter).padStart(4, '0')}`,
    from: 'alice@test.example',
    domain,
    recipients: list,
    message: contentOf(message),
    dsn: { envid: null, ret: null },
    smtputf8: false,
    eightBit: false,
    ...overrides,
  };
}
