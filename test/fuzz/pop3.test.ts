// Fuzzes `postern start`'s POP3 listener (RFC 1939) before and after login; the process keeps answering every protocol.
import { after, before, describe, test } from 'node:test';
import { assertServing, batchesOf, escapedErrors, PASSWORD, runBatches, sendAndSettle, startFuzzInstance, USER, type FuzzInstance } from './harness.js';
import { pop3Command } from './pop3-inputs.js';
import { FUZZ_SEED, Random } from './random.js';

/** POSTERN_FUZZ_COUNT raises it for a longer hunt. */
const COUNT = Number(process.env.POSTERN_FUZZ_COUNT ?? 1500);
const PER_CONNECTION = 20;

describe('POP3 fuzzing against postern start', () => {
  let instance: FuzzInstance;
  const random = new Random(FUZZ_SEED ^ 0x9093);

  before(async () => {
    instance = await startFuzzInstance();
  });

  after(async () => {
    const escaped = escapedErrors(instance);
    console.log(`pop3 fuzz: ${escaped.length} errors reached a command guard or the process-level policy`);
    for (const line of escaped.slice(0, 10)) console.log(`  ${String(line.msg)}`);
    await instance?.stop();
  });

  test(`${COUNT} command lines (seed ${FUZZ_SEED}), half of the connections logged in: the process keeps answering`, async (t) => {
    let n = 0;
    const result = await runBatches(instance, 'pop3', batchesOf(COUNT, PER_CONNECTION, () => pop3Command(random)), {
      prelude: async (client) => {
        if (n++ % 2 === 0) return;
        await sendAndSettle(client, `USER ${USER}\r\nPASS ${PASSWORD}\r\n`, /^(?:[^\r\n]*\r\n){2}$/);
      },
      sentinel: '\r\n',
      answered: () => false,
      quietMs: 200,
    });
    console.log(`pop3 fuzz: ${result.inputs} inputs in ${result.batches} connections (${result.closedByServer} closed by the server), ${result.replyLines} reply lines`);
    t.diagnostic(`pop3 inputs: ${result.inputs}`);
    await assertServing(instance);
  });
});
