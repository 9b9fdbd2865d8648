// Local system mail (issue 12): what cron, mailutils' mail(1) and daemons do on
// a Postern host. `postern sendmail` commits to the queue itself (Postfix's
// postdrop), so it works with the MTA down and never meets the smtpd
// restrictions; bare names and this host's names go to myorigin, where the
// aliases of root and postmaster live; the running MTA is poked to send at
// once (queue_run_delay is an hour here, so only the poke can deliver in time).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDnsServer, type DnsTestServer } from '../support/dns-server.js';
import { startInstance, type PosternInstance, type StoredMessage } from '../support/instance.js';
import { startPostern } from '../support/postern-process.js';
import { python } from '../support/python.js';
import { requireTool, runTool } from '../support/tools.js';

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`system mail through postern sendmail on ${backend}`, { timeout: 180_000 }, () => {
    let dns: DnsTestServer;
    let server: PosternInstance<'smtp' | 'lmtp' | 'imap'>;
    let bin: string;
    const sendmail = (args: string[], input: string) => server.instance.run(['sendmail', ...args], { input });

    /** The message in alice's INBOX whose Subject matches, waiting at most `withinMs`. */
    async function received(subject: string, withinMs = 5000, address = 'alice@example.com'): Promise<StoredMessage> {
      const deadline = Date.now() + withinMs;
      for (;;) {
        const found = (await server.inbox(address)).findLast((m) => m.raw.includes(`\r\nSubject: ${subject}\r\n`));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`${address} got no message with Subject: ${subject} within ${withinMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    before(async () => {
      dns = await startDnsServer({});
      bin = mkdtempSync(join(tmpdir(), 'postern-bin-'));
      // No process yet: the first test submits while nothing runs.
      server = await startInstance(backend, {
        listen: ['smtp', 'lmtp', 'imap'],
        roles: [],
        settings: [
          ['dns.servers', `["${dns.address}"]`],
          ['dns.timeout_ms', '1000'],
          ['queue.queue_run_delay', '"1h"'],
          // The guides' sender restriction: mailutils' root@vm must not meet it.
          ['smtpd.sender_restrictions', '["reject_non_fqdn_sender"]'],
        ],
      });
      console.log(`system mail on ${backend}: ${server.instance.server}`);
      await server.addUser('alice@example.com', 'system mail');
      // /etc/aliases' "root: alice" and "postmaster: root", with bare names.
      await server.run(['alias', 'add', 'root', 'alice']);
      await server.run(['alias', 'add', 'postmaster', 'root']);
      const installed = await server.instance.run(['install', 'sendmail', '--sbin', bin, '--bin', bin]);
      assert.equal(installed.code, 0, installed.stderr);
    });
    after(async () => {
      await server?.stop();
      await dns?.stop();
      if (bin) rmSync(bin, { recursive: true, force: true });
    });

    it('`postern alias add root alice` is root@myorigin → alice@myorigin (myorigin: the hostname\'s local parent domain)', async () => {
      const listed = await server.instance.run(['alias', 'list', '--json']);
      const aliases = JSON.parse(listed.stdout) as { address: string; targets: string[] }[];
      assert.deepEqual(
        aliases.map((a) => [a.address, a.targets]),
        [
          ['postmaster@example.com', ['root@example.com']],
          ['root@example.com', ['alice@example.com']],
        ],
      );
    });

    it('queues a message while no MTA runs (mailq shows it), and postern start delivers it', async () => {
      const result = await sendmail(['root'], 'Subject: while down\n\nqueued with the MTA stopped\n');
      assert.equal(result.code, 0, result.stderr);
      const mailq = await runTool(join(bin, 'mailq'), []);
      assert.equal(mailq.code, 0, mailq.stderr);
      assert.match(mailq.stdout, /root@example\.com/);
      server.processes.push(await startPostern(server.instance.configFile, 'start'));
      await received('while down');
    });

    it("mailutils' `mail -s test root` reaches root's alias at once, with the sender at myorigin although reject_non_fqdn_sender is on", async (t) => {
      if (!requireTool(t, 'mail', 'mailutils')) return;
      // mailutils runs `sendmail -oi -f root@<machine> -t`; the installed wrapper is that sendmail.
      const mail = await runTool('mail', ['-E', `set sendmail=sendmail://${join(bin, 'sendmail')}`, '-s', 'mailutils test', 'root'], { input: 'hi\n', env: { HOME: bin } });
      assert.equal(mail.code, 0, mail.stderr);
      // queue_run_delay is 1h: only the pickup poke delivers this soon.
      const { raw } = await received('mailutils test', 3000);
      assert.match(raw, /^Return-Path: <root@example\.com>\r$/m, `root@${hostname()} is this machine: rewritten to myorigin`);
      assert.match(raw, /^To: root\r$/m, 'the header is left as the user wrote it');
      assert.match(raw, /^From: root@example\.com\r$/m);
      assert.match(raw, /^Date: /m);
      assert.match(raw, /^Message-ID: <[^>]+@mail\.example\.com>\r$/m);
      assert.match(raw, /\r\n\r\nhi\r\n$/);
    });

    it('a sender that is not fully qualified is queued as given (local submission skips smtpd restrictions); over SMTP it gets 504', async (t) => {
      const result = await sendmail(['-f', 'root@vm-not-local', 'root'], 'Subject: bare host sender\n\nx\n');
      assert.equal(result.code, 0, result.stderr);
      assert.match((await received('bare host sender', 3000)).raw, /^Return-Path: <root@vm-not-local>\r$/m);
      const swaks = requireTool(t, 'swaks', 'swaks');
      if (!swaks) return;
      const smtp = await runTool(swaks, ['--server', `127.0.0.1:${server.ports.smtp}`, '--from', 'root@vm-not-local', '--to', 'alice@example.com', '--quit-after', 'RCPT', '--helo', 'client.example.com']);
      assert.match(smtp.stdout, /<\*\* 504 5\.5\.2 <root@vm-not-local>: Sender address rejected: need fully-qualified address/);
    });

    it('cron\'s invocation (`sendmail -FCronDaemon -i -B8BITMIME -oem root`) and `sendmail -t` with a bare To: root', async () => {
      const cron = await sendmail(['-FCronDaemon', '-i', '-B8BITMIME', '-oem', 'root'], 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@vm> run-parts /etc/cron.daily\n\n/etc/cron.daily/logrotate:\nerror: skipping\n.\n');
      assert.equal(cron.code, 0, cron.stderr);
      const { raw } = await received('Cron <root@vm> run-parts /etc/cron.daily', 3000);
      assert.match(raw, /^From: root \(Cron Daemon\)\r$/m);
      assert.match(raw, /\r\nerror: skipping\r\n\.\r\n$/, '-i: the single dot is text');

      const extracted = await sendmail(['-t', '-i'], 'To: root\nCc: postmaster@localhost\nSubject: from -t\n\nhello\n');
      assert.equal(extracted.code, 0, extracted.stderr);
      assert.match((await received('from -t', 3000)).raw, /^To: root\r\nCc: postmaster@localhost\r$/m);
    });

    it('root@localhost and root@ the hostname are root at myorigin', async () => {
      for (const address of ['root@localhost', 'root@mail.example.com', `root@${hostname()}`]) {
        const result = await sendmail([address], `Subject: to ${address}\n\nx\n`);
        assert.equal(result.code, 0, result.stderr);
        await received(`to ${address}`, 3000);
      }
    });

    it('SMTP mail from a mynetworks client without Date or Message-ID gets both (Postfix cleanup); a message that has them keeps its own', async () => {
      await python(
        `
import smtplib
with smtplib.SMTP('127.0.0.1', args['port'], timeout=30) as smtp:
    smtp.sendmail('app@example.com', ['alice@example.com'], 'From: app@example.com\\r\\nSubject: bare over smtp\\r\\n\\r\\nno date\\r\\n')
    smtp.sendmail('app@example.com', ['alice@example.com'], 'From: app@example.com\\r\\nDate: Sun, 6 Dec 2026 10:00:00 +0100\\r\\nMessage-ID: <own@example.com>\\r\\nSubject: complete over smtp\\r\\n\\r\\nx\\r\\n')
`,
        { port: server.ports.smtp },
      );
      const bare = (await received('bare over smtp', 3000)).raw;
      assert.match(bare, /^Subject: bare over smtp\r\nDate: \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\nMessage-ID: <[0-9a-z]+\.[0-9a-f]{16}@mail\.example\.com>\r\n\r\nno date\r\n$/m);
      const complete = (await received('complete over smtp', 3000)).raw;
      assert.equal(complete.match(/^Date:/gm)?.length, 1);
      assert.equal(complete.match(/^Message-ID:/gim)?.length, 1);
      assert.match(complete, /^Message-ID: <own@example\.com>\r$/m);
    });

    it('install sendmail leaves another MTA\'s sendmail alone unless --force, and replaces its own', async () => {
      const foreign = mkdtempSync(join(tmpdir(), 'postern-foreign-'));
      try {
        writeFileSync(join(foreign, 'sendmail'), '#!/bin/sh\n# Postfix\n');
        const refused = await server.instance.run(['install', 'sendmail', '--sbin', foreign, '--bin', foreign]);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /sendmail exists and is not Postern's/);
        assert.equal(existsSync(join(foreign, 'mailq')), false, 'nothing installed when refused');
        assert.equal((await server.instance.run(['install', 'sendmail', '--sbin', foreign, '--bin', foreign, '--force'])).code, 0);
        assert.equal((await server.instance.run(['install', 'sendmail', '--sbin', foreign, '--bin', foreign])).code, 0, 'its own wrapper is replaced');
        assert.match(readFileSync(join(foreign, 'sendmail'), 'utf8'), /'sendmail' "\$@"\n$/);
      } finally {
        rmSync(foreign, { recursive: true, force: true });
      }
    });
  });
}
