// One fuzz suite for the line protocols (POP3, ManageSieve): random command lines on
// `postern start`'s listener, half of the connections logged in; the process keeps answering every protocol.
import { after, before, describe, test } from 'node:test';
import { assertServing, batchesOf, escapedErrors, runBatches, startFuzzInstance, type FuzzInstance, type FuzzListener } from './harness.js';
import { FUZZ_SEED, Random } from './random.js';
import type { RawClient } from './raw-client.js';

/** POSTERN_FUZZ_COUNT raises it for a longer hunt. */
const COUNT = Number(process.env.POSTERN_FUZZ_COUNT ?? 1500);
const PER_CONNECTION = 20;

export interface LineFuzz {
  /** The protocol's name in the suite's title, e.g. `POP3`. */
  title: string;
  listener: FuzzListener;
  /** Mixed into FUZZ_SEED so that each protocol draws its own inputs. */
  seedSalt: number;
  command: (random: Random) => string;
  /** Runs on each connection before its batch; `logIn` is true on every other one. */
  prelude: (client: RawClient, logIn: boolean) => Promise<void>;
}

export function describeLineFuzz(fuzz: LineFuzz): void {
  const name = fuzz.listener;
  describe(`${fuzz.title} fuzzing against postern start`, () => {
    let instance: FuzzInstance;
    const random = new Random(FUZZ_SEED ^ fuzz.seedSalt);

    before(async () => {
      instance = await startFuzzInstance();
    });

    after(async () => {
      const escaped = escapedErrors(instance);
      console.log(`${name} fuzz: ${escaped.length} errors reached a command guard or the process-level policy`);
      for (const line of escaped.slice(0, 10)) console.log(`  ${String(line.msg)}`);
      await instance?.stop();
    });

    test(`${COUNT} command lines (seed ${FUZZ_SEED}), half of the connections logged in: the process keeps answering`, async (t) => {
      let n = 0;
      const result = await runBatches(instance, fuzz.listener, batchesOf(COUNT, PER_CONNECTION, () => fuzz.command(random)), {
        prelude: (client) => fuzz.prelude(client, n++ % 2 !== 0),
        sentinel: '\r\n',
        answered: () => false,
        quietMs: 200,
      });
      console.log(`${name} fuzz: ${result.inputs} inputs in ${result.batches} connections (${result.closedByServer} closed by the server), ${result.replyLines} reply lines`);
      t.diagnostic(`${name} inputs: ${result.inputs}`);
      await assertServing(instance);
    });
  });
}
