// Reload without restart: SIGHUP (and `postern reload`) re-reads the config file of a running
// `postern start`; a changed restriction list applies to new sessions, a broken file is refused
// with one log line while the old configuration keeps serving, and what cannot change live is
// logged as needing a restart.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { SmtpDialogue, message, sendMail } from '../mta/smtp-dialogue.js';
import { freePort } from '../support/ports.js';
import { startRemoteSmtp, type RemoteSmtp } from '../support/remote-smtp.js';

/** RCPT's reply for a session whose MAIL FROM names a non-FQDN sender (judged at RCPT: smtpd_delay_reject). */
async function rcptFromBareHost(port: number): Promise<string> {
  const smtp = await SmtpDialogue.open(port);
  await smtp.ehlo('client.example.org');
  assert.equal((await smtp.command('MAIL FROM:<someone@localhost>')).code, 250);
  const reply = await smtp.command('RCPT TO:<alice@example.com>');
  smtp.close();
  return reply.line;
}

describe('reload without restart (sqlite)', { timeout: 120_000 }, () => {
  let mail: PosternInstance<'smtp' | 'lmtp'>;
  before(async () => {
    mail = await startInstance('sqlite', { listen: ['smtp', 'lmtp'] });
    await mail.addUser('alice@example.com', 'pw');
  });
  after(() => mail?.stop());

  it('writes a pid file under data_dir for `postern reload`', () => {
    const pidFile = join(mail.instance.dir, 'data', 'postern-start.pid');
    assert.ok(existsSync(pidFile), `${pidFile} is missing`);
    assert.equal(readFileSync(pidFile, 'utf8').trim(), String(mail.processes[0]!.pid));
  });

  it('applies a changed restriction list to new sessions after `postern reload`', async () => {
    assert.match(await rcptFromBareHost(mail.ports.smtp), /^250 /);
    await mail.run(['config', 'set', 'smtpd.sender_restrictions', '["reject_non_fqdn_sender"]']);
    const reload = await mail.instance.run(['reload']);
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(reload.stdout, new RegExp(`^postern start \\(pid ${mail.processes[0]!.pid}\\): reloading `));
    const applied = await mail.waitForLog((line) => line.event === 'config_reload' && line.outcome === 'applied');
    assert.deepEqual(applied.applied, ['smtpd.sender_restrictions']);
    // RFC 5321 §4.1.1.2: a sender address must be a fully qualified domain; Postfix answers 504 5.5.2.
    assert.match(await rcptFromBareHost(mail.ports.smtp), /^504 5\.5\.2 <someone@localhost>: Sender address rejected: need fully-qualified address/);
  });

  it('refuses a broken file with one log line and keeps serving the configuration it has', async () => {
    const file = mail.instance.configFile;
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('["reject_non_fqdn_sender"]', '["reject_non_fqdn_sendr"]'));
    // The command refuses it too, naming the problem, and signals nothing.
    const reload = await mail.instance.run(['reload']);
    assert.equal(reload.code, 1);
    assert.match(reload.stderr, /reject_non_fqdn_sendr/);
    // SIGHUP as systemd's ExecReload sends it.
    process.kill(mail.processes[0]!.pid, 'SIGHUP');
    const refused = await mail.waitForLog((line) => line.event === 'config_reload' && line.outcome === 'refused');
    assert.match(String(refused.reason), /reject_non_fqdn_sendr/);
    assert.equal(refused.level, 'error');
    assert.match(await rcptFromBareHost(mail.ports.smtp), /^504 5\.5\.2 /);
    writeFileSync(file, good);
  });

  it('routes the next delivery through a relay host changed by `postern reload` (Postfix relayhost), without a restart', async () => {
    const relays: RemoteSmtp[] = [];
    try {
      for (let i = 0; i < 2; i++) relays.push(await startRemoteSmtp({ host: '127.0.0.1', port: await freePort() }));
      const [first, second] = relays as [RemoteSmtp, RemoteSmtp];
      const appliedRelayhost = (): number => mail.logLines().filter((line) => line.event === 'config_reload' && (line.applied as string[] | undefined)?.includes('smtp.relayhost')).length;
      const relayThrough = async (relay: RemoteSmtp, subject: string): Promise<void> => {
        const seen = appliedRelayhost();
        await mail.run(['config', 'set', 'smtp.relayhost', `"[127.0.0.1]:${relay.port}"`]);
        await mail.run(['reload']);
        await mail.waitForLog(() => appliedRelayhost() > seen);
        // From 127.0.0.1 (mynetworks) to a remote domain: relayed, through smtp.relayhost.
        const smtp = await SmtpDialogue.open(mail.ports.smtp);
        await smtp.ehlo('client.example.org');
        const reply = await sendMail(smtp, 'alice@example.com', ['bob@far-away.test'], message(subject));
        smtp.close();
        assert.equal(reply.code, 250, reply.line);
      };
      await relayThrough(first, 'through the first relay');
      const [viaFirst] = await first.waitFor(1, 15_000);
      assert.match(viaFirst!.message.toString(), /Subject: through the first relay/);
      await relayThrough(second, 'through the second relay');
      const [viaSecond] = await second.waitFor(1, 15_000);
      assert.match(viaSecond!.message.toString(), /Subject: through the second relay/);
      assert.deepEqual(viaSecond!.recipients, ['bob@far-away.test']);
      assert.equal(first.messages.length, 1, 'nothing more went to the old relay host');
      assert.ok(!mail.logLines().some((line) => line.outcome === 'restart_needed' && JSON.stringify(line.restart_needed).includes('smtp.relayhost')), 'the relay host is not logged as needing a restart');
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
    }
  });

  it('logs a setting that cannot change live as needing a restart and keeps its running value', async () => {
    const port = mail.ports.smtp;
    await mail.run(['config', 'set', 'listen.smtp', '["127.0.0.1:1"]']);
    await mail.run(['config', 'set', 'smtpd.sender_restrictions', '[]']);
    process.kill(mail.processes[0]!.pid, 'SIGHUP');
    const restart = await mail.waitForLog((line) => line.event === 'config_reload' && line.outcome === 'restart_needed');
    assert.deepEqual(restart.restart_needed, ['listen.smtp']);
    assert.equal(restart.level, 'warn');
    // Still listening where it started; the live key of the same file applied.
    assert.match(await rcptFromBareHost(port), /^250 /);
  });
});
