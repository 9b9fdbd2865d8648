// Reload without restart: SIGHUP (and `postern reload`) re-reads the config file of a running
// `postern start`; a changed restriction list applies to new sessions, a broken file is refused
// with one log line while the old configuration keeps serving, and what cannot change live is
// logged as needing a restart.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { SmtpDialogue } from '../mta/smtp-dialogue.js';

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
