// Connection reuse (issue 15): a burst of N queued messages to one destination,
// delivered by the queue runner to a remote SMTP server (smtp-server on
// loopback, found through the MX of a local DNS server), with Postfix's
// on-demand connection cache (smtp.connection_cache_on_demand = true, the
// default) and without it (false: one session per message, as before the
// cache). Prints messages per session and msg/s from the runner's start until
// the remote has answered every message. A script, never a test:
//   node --import tsx apps/mta/bench/outbound-burst.ts [--messages 1000] [--concurrency 20] [--backend sqlite|mongodb|both]
import { parseArgs } from 'node:util';
import { enqueueMessage } from '@postern/queue';
import { BACKENDS, SENDER, StoreHost, openWorld, testMessage, waitFor } from '../../../packages/queue/test/runner-world.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '20' },
    backend: { type: 'string', default: 'sqlite' },
  },
});
const MESSAGES = Number(values.messages);
const CONCURRENCY = Number(values.concurrency);

async function burst(backend: (typeof BACKENDS)[number], cache: boolean): Promise<string> {
  const host = new StoreHost(backend);
  const world = await openWorld(host, { smtp: { destination_concurrency_limit: CONCURRENCY, connection_cache_on_demand: cache }, queue: { queue_run_delay: '60s' } });
  try {
    for (let i = 0; i < MESSAGES; i++) {
      await enqueueMessage(world.store, { from: SENDER, recipients: [{ address: `burst${i}@dest.test` }], message: testMessage(`burst${i}`) });
    }
    const started = process.hrtime.bigint();
    world.runner().start();
    await waitFor(`${MESSAGES} messages at the remote`, () => world.remote.received.length >= MESSAGES, 600_000);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const sessions = world.remote.sessionsOpened;
    return `${backend.padEnd(8)} cache ${cache ? 'on ' : 'off'}  ${MESSAGES} messages in ${seconds.toFixed(2)} s: ${(MESSAGES / seconds).toFixed(0)} msg/s, ${sessions} sessions (${(MESSAGES / sessions).toFixed(1)} messages a session, at most ${world.remote.maxSessions} at once)`;
  } finally {
    await world.close();
    await host.close();
  }
}

const backends = values.backend === 'both' ? BACKENDS : BACKENDS.filter((backend) => backend === values.backend);
console.log(`Outbound burst: ${MESSAGES} queued messages to one domain, destination_concurrency_limit ${CONCURRENCY}, queue runner → MX → smtp-server`);
for (const backend of backends) {
  for (const cache of [false, true]) console.log(await burst(backend, cache));
}
