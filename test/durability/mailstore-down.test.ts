// The queue is the commit point (issue 10): with `postern mta` and `postern
// mailstore` as separate processes and the mailstore stopped, the MTA still
// accepts mail for local and remote recipients with 250 (RFC 5321 §4.1.1.4:
// the message is then the server's responsibility), delivers the remote
// copies at once, and the local ones once the mailstore is back — each once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SmtpDialogue } from '../mta/smtp-dialogue.js';
import { startPostern } from '../support/postern-process.js';
import { BACKENDS, LOCAL_USERS, REMOTE_DOMAIN, SENDER, queueDrained, startRig, type Rig } from './rig.js';
import { numberedMessage, seqOf } from './senders.js';

const LOCAL = LOCAL_USERS[0]!;
const REMOTE = `peer@${REMOTE_DOMAIN}`;
/** seq → recipients: local only, remote only, both. */
const MESSAGES: [number, string[]][] = [
  [1, [LOCAL]],
  [2, [REMOTE]],
  [3, [LOCAL, REMOTE]],
  [4, [LOCAL_USERS[1]!, LOCAL, REMOTE]],
];

/** MAIL, RCPTs, DATA, the message: each reply as the client saw it. */
async function send(port: number, seq: number, recipients: string[]): Promise<string[]> {
  const smtp = await SmtpDialogue.open(port);
  try {
    const replies = [(await smtp.ehlo('client.durability.test')).line, (await smtp.command(`MAIL FROM:<${SENDER}>`)).line];
    for (const rcpt of recipients) replies.push((await smtp.command(`RCPT TO:<${rcpt}>`)).line);
    replies.push((await smtp.command('DATA')).line);
    smtp.send(`${numberedMessage(seq, SENDER, recipients, 3)}.\r\n`);
    replies.push((await smtp.reply(30_000)).line);
    return replies;
  } finally {
    await smtp.command('QUIT').catch(() => undefined);
    smtp.close();
  }
}

for (const backend of BACKENDS) {
  describe(`postern mta with postern mailstore stopped, on ${backend}`, { timeout: 180_000 }, () => {
    let rig: Rig;

    before(async () => {
      rig = await startRig(backend, { mode: 'split' });
    });
    after(async () => {
      await rig?.stop();
    });

    it('accepts local and remote mail with 250, delivers remote copies at once and local ones when the mailstore returns', async (t) => {
      const { mta, sink } = rig;
      // ROLES.split starts the mailstore first: processes[0].
      assert.equal(await mta.processes[0]!.stop(), 0, 'the mailstore stopped cleanly');

      const answers: string[] = [];
      for (const [seq, recipients] of MESSAGES) answers.push(`${seq} → ${recipients.join(', ')}: ${(await send(mta.ports.smtp, seq, recipients)).at(-1)!}`);
      for (const answer of answers) t.diagnostic(answer);
      assert.ok(
        answers.every((answer) => /: 250 /.test(answer)),
        `every message is accepted while the mailstore is down:\n${answers.join('\n')}`,
      );
      const remoteSeqs = MESSAGES.filter(([, recipients]) => recipients.includes(REMOTE)).map(([seq]) => seq);
      await sink.waitFor(remoteSeqs.length, 30_000);
      assert.deepEqual(sink.messages.map((received) => seqOf(received.message)).sort(), remoteSeqs, 'the remote copies left while the mailstore was down');
      for (const user of LOCAL_USERS) assert.deepEqual(await mta.inbox(user), [], `${user}: nothing can be stored while the mailstore is down`);

      mta.processes[0] = await startPostern(mta.instance.configFile, 'mailstore');
      const started = Date.now();
      await queueDrained(mta, 60_000);
      t.diagnostic(`${backend}: local copies delivered ${Date.now() - started} ms after the mailstore returned`);
      for (const user of LOCAL_USERS) {
        const wanted = MESSAGES.filter(([, recipients]) => recipients.includes(user)).map(([seq]) => seq);
        const stored = (await mta.inbox(user)).map((message) => seqOf(message.raw)).sort();
        assert.deepEqual(stored, wanted, `${user} holds each of its messages exactly once`);
      }
      assert.deepEqual(sink.messages.map((received) => seqOf(received.message)).sort(), remoteSeqs, 'no remote copy was sent twice');
      assert.deepEqual((await mta.inbox(SENDER)).length, 0, 'nothing bounced');
    });
  });
}
