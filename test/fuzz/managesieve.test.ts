// Fuzzes `postern start`'s ManageSieve listener (RFC 5804) before and after login; the process keeps answering every protocol.
import { after, before, describe, test } from 'node:test';
import { assertServing, batchesOf, escapedErrors, PASSWORD, runBatches, sendAndSettle, startFuzzInstance, USER, type FuzzInstance } from './harness.js';
import { manageSieveCommand } from './managesieve-inputs.js';
import { FUZZ_SEED, Random } from './random.js';

/** POSTERN_FUZZ_COUNT raises it for a longer hunt. */
const COUNT = Number(process.env.POSTERN_FUZZ_COUNT ?? 1500);
const PER_CONNECTION = 20;

describe('ManageSieve fuzzing against postern start', () => {
  let instance: FuzzInstance;
  const random = new Random(FUZZ_SEED ^ 0x4190);

  before(async () => {
    instance = await startFuzzInstance();
  });

  after(async () => {
    const escaped = escapedErrors(instance);
    console.log(`managesieve fuzz: ${escaped.length} errors reached a command guard or the process-level policy`);
    for (const line of escaped.slice(0, 10)) console.log(`  ${String(line.msg)}`);
    await instance?.stop();
  });

  test(`${COUNT} command lines (seed ${FUZZ_SEED}), half of the connections logged in: the process keeps answering`, async (t) => {
    let n = 0;
    const login = Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64');
    const result = await runBatches(instance, 'managesieve', batchesOf(COUNT, PER_CONNECTION, () => manageSieveCommand(random)), {
      prelude: async (client) => {
        // The greeting is several lines: wait for its OK before logging in.
        await sendAndSettle(client, '', /OK [^\r\n]*\r\n$/);
        if (n++ % 2 === 0) return;
        await sendAndSettle(client, `AUTHENTICATE "PLAIN" "${login}"\r\n`, /(?:OK|NO|BYE)[^\r\n]*\r\n$/);
      },
      sentinel: '\r\n',
      answered: () => false,
      quietMs: 200,
    });
    console.log(`managesieve fuzz: ${result.inputs} inputs in ${result.batches} connections (${result.closedByServer} closed by the server), ${result.replyLines} reply lines`);
    t.diagnostic(`managesieve inputs: ${result.inputs}`);
    await assertServing(instance);
  });
});
