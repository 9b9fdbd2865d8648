// The relay host login end to end: `postern start` relaying through a
// smarthost (SendGrid-style: relayhost, relayhost_username/password) whose
// certificate comes from a test CA. At the default the login never goes over
// the unverified connection: the message waits in the queue with the reason;
// with the CA in smtp.tls_CAfile, `postern queue flush` delivers it; lowering
// the relay host's level explicitly logs a warning at start.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestCa, issueLeaf, type TestCa } from '../support/pki.js';
import { freePort } from '../support/ports.js';
import { startPostern } from '../support/postern-process.js';
import { startRemoteSmtp, type RemoteSmtp } from '../support/remote-smtp.js';
import { startMtaInstance, type MtaInstance } from '../mta/instance.js';
import { SmtpDialogue, message, sendMail } from '../mta/smtp-dialogue.js';

const RELAY = '127.0.0.126';

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`relay host login over verified TLS only, on ${backend}`, { timeout: 240_000 }, () => {
    let mta: MtaInstance;
    let relay: RemoteSmtp;
    let ca: TestCa;

    /** Stops the services and starts `postern start` again on the changed config. */
    const restart = async (settings: [string, string][]): Promise<Record<string, unknown>[]> => {
      for (const [key, value] of settings) await mta.run(['config', 'set', key, value]);
      await mta.stopServices();
      const next = await startPostern(mta.instance.configFile, 'start');
      mta.processes.push(next);
      return next.logLines();
    };

    before(async () => {
      ca = createTestCa(await mkdtemp(join(tmpdir(), 'postern-relay-tls-')));
      const leaf = issueLeaf(ca, ['smtp.relay.test']);
      const port = await freePort();
      relay = await startRemoteSmtp({ host: RELAY, port, logins: { apikey: 'SG.secret-key' }, server: { key: leaf.key, cert: leaf.fullchain, authMethods: ['PLAIN', 'LOGIN'] } });
      mta = await startMtaInstance(backend, {
        zone: { 'smtp.relay.test': { A: [RELAY] } },
        settings: [
          ['smtp.relayhost', `"[smtp.relay.test]:${port}"`],
          ['smtp.relayhost_username', '"apikey"'],
          ['smtp.relayhost_password', '"SG.secret-key"'],
          ['queue.queue_run_delay', '"1s"'],
          ['queue.minimal_backoff_time', '"1h"'],
        ],
      });
    });
    after(async () => {
      await mta?.stop();
      await relay?.stop();
    });

    it('at the default level the login is not sent: the message is deferred with 4.7.5 and the reason is in the log and the queue entry', async () => {
      const smtp = await SmtpDialogue.open(mta.ports.smtp);
      await smtp.ehlo('client.example.com');
      const reply = await sendMail(smtp, 'alice@example.com', ['bob@far-away.test'], message('through the relay'));
      await smtp.command('QUIT');
      assert.equal(reply.code, 250, reply.line);
      const line = await mta.waitForLog((entry) => entry['event'] === 'delivery' && entry['to'] === 'bob@far-away.test', 15_000);
      assert.equal(line['status'], 'deferred');
      assert.match(String(line['reply']), /^4\.7\.5 Server certificate not trusted \(.+\) for host smtp\.relay\.test\[127\.0\.0\.126\]:\d+ at smtp\.tls_security_level = "verify"/);
      // The maillog line comes from the delivery agent, just before the queue records the outcome.
      let [entry] = await mta.store.listQueue();
      for (const deadline = Date.now() + 5000; entry?.recipients[0]?.status !== 'deferred' && Date.now() < deadline; [entry] = await mta.store.listQueue()) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.equal(entry?.recipients[0]?.status, 'deferred');
      assert.match(entry?.recipients[0]?.lastResponse ?? '', /Server certificate not trusted/);
      assert.deepEqual(relay.logins, [], 'no AUTH reached the relay host');
      assert.equal(relay.messages.length, 0);
    });

    it('with the test CA in smtp.tls_CAfile, `postern queue flush` delivers it with the login over verified TLS', async () => {
      await restart([['smtp.tls_CAfile', `"${ca.rootFile}"`]]);
      await mta.run(['queue', 'flush']);
      const [delivered] = await relay.waitFor(1);
      assert.equal(delivered!.user, 'apikey');
      assert.equal(delivered!.secure, true);
      assert.deepEqual(delivered!.recipients, ['bob@far-away.test']);
      const deadline = Date.now() + 5000;
      while ((await mta.store.listQueue()).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await mta.store.listQueue()).length, 0);
    });

    it('lowering the relay host to "encrypt" explicitly logs a warning at start', async () => {
      await restart([['smtp.relayhost_tls_security_level', '"encrypt"']]);
      const current = mta.processes.at(-1)!;
      const warning = current.logLines().find((entry) => entry['event'] === 'relay_tls_unverified');
      assert.ok(warning, 'the warning is logged at start');
      assert.equal(warning['level'], 'warn');
      assert.match(String(warning['msg']), /login for \[smtp\.relay\.test\]:\d+ is sent over TLS whose certificate is not verified/);
    });
  });
}
