// Fuzzes `postern start`'s IMAP parser and command handlers, before and after login, and times the shapes that once blocked the process.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertServing, escapedErrors, PASSWORD, runBatches, startFuzzInstance, USER, type FuzzInstance } from './harness.js';
import { heavyImapShapes, imapCommand, POST_AUTH_COMMANDS, PRE_AUTH_COMMANDS } from './imap-inputs.js';
import { FUZZ_SEED, Random } from './random.js';
import { RawClient } from './raw-client.js';

/** Inputs per phase (pre-auth, post-auth); POSTERN_FUZZ_COUNT raises it for a longer hunt. */
const COUNT = Number(process.env.POSTERN_FUZZ_COUNT ?? 1000);
const PER_CONNECTION = 40;

const SENTINEL = '\r\nZEND NOOP\r\n';
const answeredSentinel = (text: string): boolean => /\r\nZEND (?:OK|NO|BAD)[^\r\n]*\r\n/.test(text) || /\* BYE[^\r\n]*\r\n$/.test(text);

async function login(client: RawClient): Promise<void> {
  client.send(`P1 LOGIN ${USER} "${PASSWORD}"\r\nP2 SELECT INBOX\r\n`);
  assert.equal(await client.settle((text) => /\r\nP2 OK[^\r\n]*\r\n/.test(text), 5000, 10_000), 'done', `login failed: ${client.received}`);
}

function batches(random: Random, commands: readonly string[], count: number): string[][] {
  const out: string[][] = [];
  for (let made = 0; made < count; made += PER_CONNECTION) {
    out.push(Array.from({ length: Math.min(PER_CONNECTION, count - made) }, (_, i) => imapCommand(random, commands, `F${made + i}`)));
  }
  return out;
}

describe('IMAP fuzzing against postern start', () => {
  let instance: FuzzInstance;
  const random = new Random(FUZZ_SEED);

  before(async () => {
    instance = await startFuzzInstance();
  });

  after(async () => {
    const escaped = escapedErrors(instance);
    console.log(`imap fuzz: ${escaped.length} errors reached the command guard or the process-level policy`);
    for (const line of escaped.slice(0, 10)) console.log(`  ${String(line.msg)}`);
    await instance?.stop();
  });

  test('inputs that ended the process are answered by their command, and IMAP, POP3, SMTP and LMTP still answer on other connections', async () => {
    // The SEARCH SUBJECT NIL, and the same class of input found in other handlers (a NIL where a string or list is expected).
    const crashers = ['SEARCH SUBJECT NIL', 'SEARCH NIL', 'ENABLE', 'FETCH 1 NIL', 'FETCH 1 (BODY[HEADER.FIELDS (NIL)])', 'FETCH 1 BODY[NIL]', 'ID ("name" NIL)', 'LIST "" "*" NIL', 'APPEND NIL {1}\r\nx', 'APPEND INBOX (NIL) {1}\r\nx', 'APPEND INBOX NIL'];
    for (const [n, line] of [['pre', 'LOGIN NIL NIL'], ...[...crashers, 'LSUB "" ""'].map((text) => ['post', text])] as const) {
      const client = await RawClient.open(instance.ports.imap);
      try {
        await client.settle((text) => text.includes('\r\n'), 2000, 5000);
        if (n === 'post') await login(client);
        client.send(`C1 ${line}\r\n`);
        assert.equal(await client.settle((text) => /\r\nC1 (?:OK|NO|BAD)[^\r\n]*\r\n/.test(text), 5000, 5000), 'done', `${line}: ${client.received}`);
        // Each is answered by the command itself (fixed in imap-core), not by the last-resort guard; the SEARCH SUBJECT NIL gets BAD.
        assert.doesNotMatch(client.received, /\r\nC1 BAD Command failed\r\n/, line);
        if (line.startsWith('SEARCH')) assert.match(client.received, /\r\nC1 BAD [^\r\n]*\r\n/, line);
        // The same connection goes on.
        client.send('C2 NOOP\r\n');
        assert.equal(await client.settle((text) => /\r\nC2 OK[^\r\n]*\r\n/.test(text), 5000, 5000), 'done', `NOOP after ${line}: ${client.received}`);
      } finally {
        client.close();
      }
      await assertServing(instance);
    }
  });

  test(`${COUNT} command lines before login (seed ${FUZZ_SEED}): every batch leaves the process answering`, async (t) => {
    const result = await runBatches(instance, 'imap', batches(random, PRE_AUTH_COMMANDS, COUNT), { sentinel: SENTINEL, answered: answeredSentinel, quietMs: 250 });
    console.log(`imap fuzz pre-auth: ${result.inputs} inputs in ${result.batches} connections (${result.closedByServer} closed by the server), ${result.replyLines} reply lines`);
    t.diagnostic(`pre-auth inputs: ${result.inputs}`);
    await assertServing(instance);
  });

  test(`${COUNT} command lines after LOGIN and SELECT: every batch leaves the process answering`, async (t) => {
    const result = await runBatches(instance, 'imap', batches(random, POST_AUTH_COMMANDS, COUNT), { prelude: login, sentinel: SENTINEL, answered: answeredSentinel, quietMs: 250 });
    console.log(`imap fuzz post-auth: ${result.inputs} inputs in ${result.batches} connections (${result.closedByServer} closed by the server), ${result.replyLines} reply lines`);
    t.diagnostic(`post-auth inputs: ${result.inputs}`);
    await assertServing(instance);
  });

  test(
    'a delivered message whose To: nests RFC 5322 groups 5,000 deep: FETCH ENVELOPE and SEARCH TO are answered in time',
    async () => {
      const user = await instance.store.getUser(USER);
      assert.ok(user);
      const groups = `${'g:'.repeat(5000)}a@example.org${';'.repeat(5000)}`;
      const uid = await instance.deliver(user, `From: a@example.org\r\nTo: ${groups}\r\nSubject: groups\r\n\r\nbody\r\n`);
      const client = await RawClient.open(instance.ports.imap);
      try {
        await client.settle((text) => text.includes('\r\n'), 2000, 5000);
        await login(client);
        client.send(`G1 UID FETCH ${uid} ENVELOPE\r\nG2 UID SEARCH TO a@example.org\r\n`);
        assert.equal(await client.settle((text) => /\r\nG2 (?:OK|NO|BAD)[^\r\n]*\r\n/.test(text), 5000, 10_000), 'done', client.received.slice(-500));
        // RFC 5322 §3.4 has no nested groups; the message stays readable and searchable.
        assert.match(client.received, /\r\nG1 OK[^\r\n]*\r\n/);
        assert.match(client.received, new RegExp(`\\* SEARCH (?:\\d+ )*${uid}\\b`));
      } finally {
        client.close();
      }
      await assertServing(instance);
    },
  );

  for (const shape of heavyImapShapes()) {
    test(`${shape.name} is answered within 5 s and blocks no other protocol`, async (t) => {
      const client = await RawClient.open(instance.ports.imap);
      try {
        await client.settle((text) => text.includes('\r\n'), 2000, 5000);
        if (shape.postAuth) await login(client);
        const started = Date.now();
        client.send(shape.line);
        const end = await client.settle((text) => /\r\nH1 (?:OK|NO|BAD)[^\r\n]*\r\n/.test(text) || /\* BYE[^\r\n]*\r\n$/.test(text), 5000, 30_000);
        const ms = Date.now() - started;
        const answer = /\r\n(H1 [^\r\n]*|\* BYE[^\r\n]*)\r\n[^]*$/.exec(client.received)?.[1] ?? end;
        console.log(`imap heavy shape: ${shape.name}: ${ms} ms, ${answer.slice(0, 80)}`);
        t.diagnostic(`${ms} ms: ${answer.slice(0, 80)}`);
        assert.notEqual(end, 'quiet', 'no answer');
        assert.ok(ms < 5000, `${shape.name} took ${ms} ms`);
      } finally {
        client.close();
      }
      await assertServing(instance);
    });
  }
});
