// RFC 3501 §6.4.6/§6.4.8: an OK'd UID STORE (COPY, MOVE, FETCH) acted on every message of its set, including UIDs the session was not yet told of.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { prepareMessage } from '../src/message/index.js';
import type { Mailbox, Store, Uid } from '@postern/store';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';

/** Rounds per case (the issue saw 30 of 30 lost). */
const ROUNDS = 30;

function appendUid(tagged: string): number {
  const match = /APPENDUID \d+ (\d+)/.exec(tagged);
  assert.ok(match, `APPENDUID in ${tagged}`);
  return Number(match[1]);
}

async function flagsOf(store: Store, mailbox: Mailbox, uid: number): Promise<string[]> {
  const [record] = await store.listMessages(mailbox.id, { uids: { uids: [uid as Uid] } });
  assert.ok(record, `message ${uid} exists`);
  return record.flags;
}

// The notifier's poll is pushed out of the way: what the session learns, it learns from the command itself.
describeOnBackends('UID commands on UIDs the session has not been told of', { pollMs: 60_000 }, (suite) => {
  let fx: ImapFixture;
  let store: Store;

  before(() => {
    ({ fx, store } = suite);
  });

  async function mailbox(path: string): Promise<Mailbox> {
    const user = (await store.getUser('alice@example.com'))!;
    return (await store.getMailbox(user.id, path))!;
  }

  test('APPEND to the selected mailbox, then at once UID STORE +FLAGS: OK means stored (30 rounds)', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('CREATE Unseen1')).status, 'OK');
    assert.equal((await wire.command('SELECT Unseen1')).status, 'OK');
    const box = await mailbox('Unseen1');
    for (let i = 1; i <= ROUNDS; i++) {
      const uid = appendUid((await wire.append('Unseen1', simpleMessage(i))).tagged);
      const stored = await wire.command(`UID STORE ${uid} +FLAGS (\\Flagged)`);
      assert.equal(stored.status, 'OK');
      assert.ok(stored.untagged.some((line) => line === `* ${i} FETCH (UID ${uid} FLAGS (\\Flagged \\Recent))`), stored.untagged.join('\n'));
      assert.deepEqual(await flagsOf(store, box, uid), ['\\Flagged'], `round ${i}`);
    }
    wire.close();
  });

  test('a message appended by another process is found by UID STORE without a NOOP; EXISTS comes first (30 rounds)', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('CREATE Unseen2')).status, 'OK');
    assert.equal((await wire.command('SELECT Unseen2')).status, 'OK');
    const box = await mailbox('Unseen2');
    for (let i = 1; i <= ROUNDS; i++) {
      const { message } = await store.appendMessage(box.id, prepareMessage(simpleMessage(i)));
      const stored = await wire.command(`UID STORE ${message.uid} +FLAGS (\\Draft)`);
      assert.equal(stored.status, 'OK');
      const exists = stored.untagged.indexOf(`* ${i} EXISTS`);
      const fetch = stored.untagged.findIndex((line) => line.startsWith(`* ${i} FETCH (UID ${message.uid} FLAGS (\\Draft`));
      assert.ok(exists >= 0 && fetch > exists, `EXISTS before the FETCH: ${stored.untagged.join(' | ')}`);
      assert.deepEqual(await flagsOf(store, box, message.uid), ['\\Draft'], `round ${i}`);
    }
    wire.close();
  });

  test('UID FETCH, UID COPY and UID MOVE act on a UID appended elsewhere', async () => {
    const wire = await loginWire(fx);
    for (const path of ['Unseen3', 'Unseen3Copy', 'Unseen3Move']) assert.equal((await wire.command(`CREATE ${path}`)).status, 'OK');
    assert.equal((await wire.command('SELECT Unseen3')).status, 'OK');
    const box = await mailbox('Unseen3');
    const append = async (n: number): Promise<number> => (await store.appendMessage(box.id, prepareMessage(simpleMessage(n)))).message.uid;

    const fetched = await append(1);
    const fetch = await wire.command(`UID FETCH ${fetched} (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])`);
    assert.equal(fetch.status, 'OK');
    assert.ok(fetch.untagged.some((line) => line.startsWith(`* 1 FETCH (UID ${fetched} `)), fetch.untagged.join('\n'));

    const copied = await append(2);
    const copy = await wire.command(`UID COPY ${copied} Unseen3Copy`);
    assert.match(copy.tagged, /OK \[COPYUID \d+ 2 1\]/);
    assert.equal((await store.listMessages((await mailbox('Unseen3Copy')).id)).length, 1);

    const moved = await append(3);
    const move = await wire.command(`UID MOVE ${moved} Unseen3Move`);
    assert.equal(move.status, 'OK');
    assert.ok(move.untagged.some((line) => /^\* OK \[COPYUID \d+ 3 1\]/.test(line)), move.untagged.join('\n'));
    assert.ok(move.untagged.includes('* 3 EXPUNGE'), move.untagged.join('\n'));
    assert.equal((await store.listMessages((await mailbox('Unseen3Move')).id)).length, 1);
    wire.close();
  });

  test('NOOP reports a message appended elsewhere at once, without waiting for the poll (RFC 3501 §6.1.2)', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('CREATE Unseen4')).status, 'OK');
    assert.equal((await wire.command('SELECT Unseen4')).status, 'OK');
    const box = await mailbox('Unseen4');
    for (let i = 1; i <= ROUNDS; i++) {
      await store.appendMessage(box.id, prepareMessage(simpleMessage(i)));
      const noop = await wire.command('NOOP');
      assert.ok(noop.untagged.includes(`* ${i} EXISTS`), `round ${i}: ${noop.untagged.join(' | ')}`);
    }
    wire.close();
  });

  test('a UID that does not exist is still answered OK with nothing to report (RFC 3501 §6.4.8)', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('CREATE Unseen5')).status, 'OK');
    assert.equal((await wire.command('SELECT Unseen5')).status, 'OK');
    const stored = await wire.command('UID STORE 4000000000 +FLAGS (\\Seen)');
    assert.equal(stored.status, 'OK');
    assert.deepEqual(stored.untagged, []);
    wire.close();
  });

  test('STORE under concurrent load: every flag answered OK is in the store', async () => {
    const setup = await loginWire(fx);
    assert.equal((await setup.command('CREATE Unseen6')).status, 'OK');
    setup.close();
    const box = await mailbox('Unseen6');
    const flags = ['\\Seen', '\\Answered', '\\Flagged', '\\Draft', '$Work', '$Home', '$Later', '$Todo'];
    const writers = await Promise.all(flags.map(() => loginWire(fx)));
    for (const wire of writers) assert.equal((await wire.command('SELECT Unseen6')).status, 'OK');
    const uids: number[] = [];
    /** Every (UID, flag) a STORE answered OK for: flags are only added, so each must be in the store at the end. */
    const promised: [number, string][] = [];
    // Each writer appends and adds its own flag to every message appended so far, while the others do the same.
    await Promise.all(
      writers.map(async (wire, w) => {
        for (let i = 0; i < 8; i++) {
          uids.push(appendUid((await wire.append('Unseen6', simpleMessage(w * 100 + i))).tagged));
          const set = [...uids];
          const stored = await wire.command(`UID STORE ${set.join(',')} +FLAGS.SILENT (${flags[w]})`);
          assert.equal(stored.status, 'OK');
          for (const uid of set) promised.push([uid, flags[w]!]);
        }
      }),
    );
    for (const wire of writers) wire.close();
    const records = new Map((await store.listMessages(box.id)).map((record) => [record.uid, record.flags]));
    assert.equal(records.size, flags.length * 8);
    const lost = promised.filter(([uid, flag]) => !records.get(uid)?.includes(flag));
    assert.deepEqual(lost, [], 'flags answered OK but not stored');
  });
});
