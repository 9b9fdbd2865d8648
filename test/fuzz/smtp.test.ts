// Fuzzes `postern start`'s SMTP (RFC 5321) and LMTP (RFC 2033) listeners: odd commands, parameters and bytes; the process keeps answering every protocol.
import { after, before, describe, test } from 'node:test';
import { assertServing, batchesOf, escapedErrors, runBatches, sendAndSettle, startFuzzInstance, type FuzzInstance } from './harness.js';
import { FUZZ_SEED, Random } from './random.js';
import { smtpCommand } from './smtp-inputs.js';

/** POSTERN_FUZZ_COUNT raises it for a longer hunt. */
const COUNT = Number(process.env.POSTERN_FUZZ_COUNT ?? 2000);
const PER_CONNECTION = 20;

/** The two dialects of one grammar: LMTP greets with LHLO (RFC 2033 §4.1). */
const DIALECTS = [
  { protocol: 'smtp', greeting: 'EHLO', lmtp: false, seed: 0x5317 },
  { protocol: 'lmtp', greeting: 'LHLO', lmtp: true, seed: 0x1317 },
] as const;

for (const dialect of DIALECTS) {
  describe(`${dialect.protocol.toUpperCase()} fuzzing against postern start`, () => {
    let instance: FuzzInstance;
    const random = new Random(FUZZ_SEED ^ dialect.seed);

    before(async () => {
      instance = await startFuzzInstance();
    });

    after(async () => {
      const escaped = escapedErrors(instance);
      console.log(`${dialect.protocol} fuzz: ${escaped.length} errors reached a command guard or the process-level policy`);
      for (const line of escaped.slice(0, 10)) console.log(`  ${String(line.msg)}`);
      await instance?.stop();
    });

    test(`${COUNT} command lines (seed ${FUZZ_SEED}), half of the connections past ${dialect.greeting}, MAIL and RCPT: the process keeps answering`, async (t) => {
      let n = 0;
      const result = await runBatches(instance, dialect.protocol, batchesOf(COUNT, PER_CONNECTION, () => smtpCommand(random, dialect.lmtp)), {
        prelude: async (client) => {
          if (n++ % 2 === 0) return;
          await sendAndSettle(
            client,
            `${dialect.greeting} fuzz.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<fuzz@example.com>\r\n`,
            /[245]\d\d [^\r\n]*\r\n(?:[^\r\n]*\r\n)*[245]\d\d [^\r\n]*\r\n[245]\d\d [^\r\n]*\r\n$/,
          );
        },
        sentinel: '\r\n',
        answered: () => false,
        quietMs: 200,
      });
      console.log(`${dialect.protocol} fuzz: ${result.inputs} inputs in ${result.batches} connections (${result.closedByServer} closed by the server), ${result.replyLines} reply lines`);
      t.diagnostic(`${dialect.protocol} inputs: ${result.inputs}`);
      await assertServing(instance);
    });
  });
}
