import { startDnsServer, type DnsTestServer, type ZoneRecords } from '../support/dns-server.js';
import { startInstance, type PosternInstance, type StoredMessage } from '../support/instance.js';

export type MtaInstance = PosternInstance<'smtp' | 'submission' | 'submissions' | 'lmtp' | 'imap' | 'managesieve'> & {
  dns: DnsTestServer;
  /** Waits until the INBOX holds `count` messages (the 250 waits for the queue's first LMTP attempt, but give it a moment). */
  waitForInbox(address: string, count: number, timeoutMs?: number): Promise<StoredMessage[]>;
};

export interface MtaInstanceOptions {
  /** `start` (one process), `split` (`postern mailstore` and `postern mta` as two processes) or `mta` (the MTA alone). */
  mode?: 'start' | 'split' | 'mta';
  /** Extra `postern config set` pairs, applied after the listeners. */
  settings?: [string, string][];
  zone?: ZoneRecords;
}

const ROLES = { start: ['start'], split: ['mailstore', 'mta'], mta: ['mta'] } as const;

/**
 * A `postern init` instance (domain example.com) running the MTA and the
 * mailstore as child processes on free loopback ports, resolving DNS through
 * a local test DNS server. mynetworks is only 127.0.0.1, so a client bound to
 * 127.0.0.2 is an outside client.
 */
export async function startMtaInstance(backend: 'sqlite' | 'mongodb', options: MtaInstanceOptions = {}): Promise<MtaInstance> {
  const dns = await startDnsServer(options.zone ?? {});
  const instance = await startInstance(backend, {
    listen: ['smtp', 'submission', 'submissions', 'lmtp', 'imap', 'managesieve'],
    settings: [['dns.servers', `["${dns.address}"]`], ['dns.timeout_ms', '1000'], ['smtpd.mynetworks', '["127.0.0.1/32"]'], ...(options.settings ?? [])],
    roles: [...ROLES[options.mode ?? 'start']],
  }).catch(async (error: unknown) => {
    await dns.stop();
    throw error;
  });
  return {
    ...instance,
    dns,
    async waitForInbox(address, count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const messages = await instance.inbox(address);
        if (messages.length >= count || Date.now() > deadline) return messages;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      await instance.stop();
      await dns.stop();
    },
  };
}
