// SPEC §4 "Nothing lost": `postern start` is killed with SIGKILL at random
// moments (seeded, so a failure reproduces) while ten clients send numbered
// messages to local and remote recipients, and restarted each time; the
// remote sink now and then drops the connection in the middle of its 250.
// After the last round the queue drains, then every message that got 250 is
// in its mailbox / at the sink; a local mailbox holds each message once; a
// remote copy is repeated at most once, only where the final reply was lost
// (the sink's drop, or a kill before the reply was recorded: RFC 1047). RFC 5321 §6.1: with the 250 after the final dot the server accepts
// responsibility for the message and MUST NOT lose it, "such as because the
// host later crashes"; SPEC §4 adds: and delivers none twice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../fuzz/random.js';
import type { PosternProcess } from '../support/postern-process.js';
import { startPostern } from '../support/postern-process.js';
import { BACKENDS, LOCAL_USERS, REMOTE_DOMAIN, SENDER, queueDrained, startRig, type Rig } from './rig.js';
import { startSenders } from './senders.js';
import { describeTally, tally } from './tally.js';

/** The seed of the kill moments and message shapes; POSTERN_KILL9_SEED reproduces another run. */
const SEED = Number(process.env.POSTERN_KILL9_SEED ?? 0x0c1a_5509);
const ROUNDS = Number(process.env.POSTERN_KILL9_ROUNDS ?? 20);
const CLIENTS = 10;
/** How long a run lives before its kill, in ms (after it logged ready). */
const RUN_MS: [number, number] = [Number(process.env.POSTERN_KILL9_MIN_MS ?? 150), Number(process.env.POSTERN_KILL9_MAX_MS ?? 2500)];
/** The sink cuts off this share of its 250s. */
const DROP_REPLY_CHANCE = 0.03;
/**
 * What is killed: `start` (one process: MTA and mailstore die together) and,
 * with POSTERN_KILL9_VICTIMS=start,mta, also `postern mta` alone beside a
 * `postern mailstore` that stays up (the split deployment of SPEC §1).
 */
const VICTIMS = (['start', 'mta'] as const).filter((victim) => (process.env.POSTERN_KILL9_VICTIMS ?? 'start').split(',').includes(victim));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of BACKENDS) {
  for (const victim of VICTIMS) describe(`kill -9 of postern ${victim} on ${backend}`, { timeout: 300_000 }, () => {
    const kills = new Random(SEED);
    const drops = new Random(SEED + 1);
    let rig: Rig;
    const killed: PosternProcess[] = [];

    before(async () => {
      rig = await startRig(backend, { mode: victim === 'start' ? 'start' : 'split', dropReply: () => drops.chance(DROP_REPLY_CHANCE) });
    });
    after(async () => {
      await rig?.stop();
    });

    it(`every acknowledged message arrives exactly once after ${ROUNDS} kills (seed ${SEED})`, async (t) => {
      const { mta, sink } = rig;
      // Messages go to a local mailbox, a remote one, or both; the shape follows the number.
      const senders = startSenders({
        port: mta.ports.smtp,
        clients: CLIENTS,
        mailFrom: SENDER,
        recipientsOf: (seq) => {
          const local = LOCAL_USERS[seq % LOCAL_USERS.length]!;
          const remote = `peer${seq % 5}@${REMOTE_DOMAIN}`;
          return [[local], [remote], [local, remote]][seq % 3]!;
        },
        bodyLinesOf: (seq) => new Random(SEED ^ seq).int(1, 400),
      });
      const started = Date.now();
      try {
        for (let round = 1; round <= ROUNDS; round++) {
          await sleep(kills.int(...RUN_MS));
          // The last process started is the victim (split mode starts the mailstore first).
          const run = mta.processes.pop()!;
          run.child.kill('SIGKILL');
          if (run.child.exitCode === null && run.child.signalCode === null) await new Promise((resolve) => run.child.once('exit', resolve));
          killed.push(run);
          mta.processes.push(await startPostern(mta.instance.configFile, victim));
        }
      } finally {
        await senders.stop();
      }
      const sending = Date.now() - started;
      await queueDrained(mta, 90_000);
      // A runner that took an entry over may still be in DATA with the sink: let it finish.
      await sleep(2000);
      const counts = await tally(senders.ledger, mta, sink, LOCAL_USERS, SENDER);
      const line = describeTally(`kill -9 of postern ${victim} on ${backend} (${ROUNDS} kills, seed ${SEED}, ${Math.round(sending / 1000)} s of sending, ${sink.dropped.length} sink replies dropped)`, counts);
      t.diagnostic(line);
      console.log(line);
      for (const fault of counts.faults.slice(0, 20)) t.diagnostic(fault);
      // POSTERN_KILL9_LOG=DIR keeps every run's log (the killed ones first) to trace a fault by its queue id.
      if (process.env.POSTERN_KILL9_LOG) writeFileSync(join(process.env.POSTERN_KILL9_LOG, `kill9-${victim}-${backend}.log`), [...killed, ...mta.processes].map((run) => run.output()).join('\n--- killed ---\n'));
      assert.ok(counts.acknowledged > 0, 'some messages were acknowledged');
      assert.equal(counts.lost, 0, `acknowledged copies lost:\n${counts.faults.join('\n')}`);
      // A local mailbox holds each queued message once (XFORWARD IDENT, a unique delivery id per mailbox).
      assert.equal(counts.duplicatedLocal, 0, `local copies stored twice:\n${counts.faults.join('\n')}`);
      // RFC 1047: a kill after the final reply is read and before it is recorded costs that delivery one
      // more copy; the outcome is recorded the moment the reply is in (not after QUIT), so no more than one.
      assert.ok(counts.maxCopies <= 2, `a copy delivered more than twice:\n${counts.faults.join('\n')}`);
      assert.equal(counts.strays, 0, `copies nobody sent:\n${counts.faults.join('\n')}`);
      assert.equal(counts.bounces, 0, 'no message bounced');
    });
  });
}
