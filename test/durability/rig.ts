// The durability rig: a Postern instance on one store backend whose remote
// domain remote.test resolves (through the test DNS server, SPEC §4) to a
// sink in the test process, with queue timings short enough that a crashed
// run's entries are taken over and retried within seconds.
import { startMtaInstance, type MtaInstance } from '../mta/instance.js';
import { freePort } from '../support/ports.js';
import { startRemoteSmtp, type ReceivedMessage, type RemoteSmtp } from '../support/remote-smtp.js';

export const LOCAL_DOMAIN = 'example.com';
export const REMOTE_DOMAIN = 'remote.test';
/** The envelope sender of every numbered message: a local mailbox, so that any bounce is found and counted. */
export const SENDER = `clients@${LOCAL_DOMAIN}`;
export const LOCAL_USERS = [0, 1, 2, 3].map((n) => `box${n}@${LOCAL_DOMAIN}`);
const SINK_HOST = '127.0.0.141';

/** Both store backends; POSTERN_DURABILITY_BACKENDS=sqlite (or mongodb) runs one. */
export const BACKENDS = (['sqlite', 'mongodb'] as const).filter((backend) => (process.env.POSTERN_DURABILITY_BACKENDS ?? 'sqlite,mongodb').split(',').includes(backend));

export interface Rig {
  mta: MtaInstance;
  sink: RemoteSmtp;
  stop(): Promise<void>;
}

export interface RigOptions {
  mode: 'start' | 'split';
  /** Asked for every message the sink receives in full: true cuts its 250 off (see RemoteOptions.dropReply). */
  dropReply?: (message: ReceivedMessage) => boolean;
}

export async function startRig(backend: 'sqlite' | 'mongodb', options: RigOptions): Promise<Rig> {
  const port = await freePort();
  const sink = await startRemoteSmtp({ host: SINK_HOST, port, ...(options.dropReply ? { dropReply: options.dropReply } : {}) });
  const mta = await startMtaInstance(backend, {
    mode: options.mode,
    settings: [
      ['smtp.port', String(port)],
      ['smtp.connect_timeout', '"2s"'],
      ['smtp.timeout', '"10s"'],
      // A killed run holds its entries' leases: a short lease lets the next run take them over.
      ['queue.lease_time', '"3s"'],
      ['queue.queue_run_delay', '"1s"'],
      ['queue.minimal_backoff_time', '"1s"'],
      ['queue.maximal_backoff_time', '"2s"'],
      // SPF/DKIM/DMARC of the clients' mail is not what is tested: no DNS round trips per message.
      ['inbound.authenticate', 'false'],
    ],
    zone: { [REMOTE_DOMAIN]: { MX: [{ exchange: `mx.${REMOTE_DOMAIN}`, priority: 10 }] }, [`mx.${REMOTE_DOMAIN}`]: { A: [SINK_HOST] } },
  }).catch(async (error: unknown) => {
    await sink.stop();
    throw error;
  });
  try {
    for (const address of [SENDER, ...LOCAL_USERS]) await mta.addUser(address, 'durability test password');
  } catch (error) {
    await mta.stop();
    await sink.stop();
    throw error;
  }
  return {
    mta,
    sink,
    async stop() {
      await mta.stop();
      await sink.stop();
    },
  };
}

/** Polls until the queue is empty; throws naming what is left after the timeout. */
export async function queueDrained(mta: MtaInstance, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entries = await mta.store.listQueue();
    if (entries.length === 0) return;
    if (Date.now() > deadline) {
      const pending = entries.slice(0, 5).map((entry) => `${entry.id} (${entry.recipients.map((r) => `${r.address} ${r.status} ${r.lastResponse ?? ''}`).join(', ')}; attempts ${entry.attempts})`);
      throw new Error(`the queue still holds ${entries.length} entries after ${timeoutMs} ms: ${pending.join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
