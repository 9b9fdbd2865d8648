// Nothing lost, nothing twice: `postern start` is killed with SIGKILL while it
// delivers a queued message to a remote that hangs after the final dot; a new
// `postern start` on the same store delivers the entry once the dead run's
// lease expires — exactly one completed copy at the remote — and the queue
// is empty afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { startMtaInstance, type MtaInstance } from '../mta/instance.js';
import { freePort } from '../support/ports.js';
import { startPostern } from '../support/postern-process.js';
import { startRemoteSmtp, type RemoteSmtp } from '../support/remote-smtp.js';

const REMOTE_MX = '127.0.0.131';
const PASSWORD = 'crash test password';

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`kill -9 during outbound delivery on ${backend}`, { timeout: 120_000 }, () => {
    let mta: MtaInstance;
    let remote: RemoteSmtp;

    before(async () => {
      const port = await freePort();
      remote = await startRemoteSmtp({ host: REMOTE_MX, port });
      mta = await startMtaInstance(backend, {
        settings: [['smtp.port', String(port)], ['queue.queue_run_delay', '"1s"'], ['queue.lease_time', '"3s"'], ['queue.minimal_backoff_time', '"1s"']],
        zone: { 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: [REMOTE_MX] } },
      });
      await mta.addUser('alice@example.com', PASSWORD);
    });
    after(async () => {
      await mta?.stop();
      await remote?.stop();
    });

    it('a restarted server delivers the entry exactly once after the crash', async () => {
      remote.stallData = true;
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mta.ports.submission, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: PASSWORD } });
      const info = await transport.sendMail({ from: 'alice@example.com', to: 'bob@remote.test', subject: 'survives a crash', text: 'once and only once' });
      transport.close();
      assert.match(String(info.response), /^250 /);
      const [entry] = await mta.store.listQueue();
      assert.ok(entry, 'the 250 came after the queue entry was committed');

      // The remote has the whole message but never says 250: the delivery is in flight. Crash.
      await until(() => remote.stalled === 1, 'the remote to receive the message');
      const crashed = mta.processes.splice(0, 1)[0]!;
      crashed.child.kill('SIGKILL');
      await new Promise((resolve) => crashed.child.once('exit', resolve));
      assert.equal(remote.messages.length, 0, 'nothing completed before the crash');
      assert.equal((await mta.store.getQueueEntry(entry.id))?.id, entry.id, 'the entry is still queued');

      remote.stallData = false;
      mta.processes.push(await startPostern(mta.instance.configFile, 'start'));
      await remote.waitFor(1, 30_000);
      await until(async () => (await mta.store.getQueueEntry(entry.id)) === null, 'the delivered entry to leave the queue');
      // Give a second runner every chance to deliver it again: it must not.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      assert.equal(remote.messages.length, 1, 'exactly one completed delivery');
      assert.deepEqual(remote.messages[0]!.recipients, ['bob@remote.test']);
      assert.match(remote.messages[0]!.message.toString(), /once and only once/);
      assert.deepEqual(await mta.store.listQueue(), []);
    });
  });
}
