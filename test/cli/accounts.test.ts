// Account administration (issue 12): `postern user disable|enable|quota|set`,
// `user add --password-hash` for hashes imported from a Dovecot passdb, and `postern ban`,
// driven by Python's imaplib, poplib and smtplib against `postern start`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startDnsServer, type DnsTestServer } from '../support/dns-server.js';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { python } from '../support/python.js';
import { replies } from '../../apps/mta/src/replies.js';

interface Logins {
  imap: string;
  pop3: string;
}

/** "ok", or the server's refusal, for a login on IMAP and on POP3. */
function logins(server: PosternInstance<'smtp' | 'lmtp' | 'imap' | 'pop3'>, user: string, password: string): Promise<Logins> {
  return python<Logins>(
    `
import imaplib, poplib
try:
    imap = imaplib.IMAP4('127.0.0.1', args['imap'], timeout=10)
    imap.login(args['user'], args['password'])
    imap.logout()
    out['imap'] = 'ok'
except imaplib.IMAP4.error as e:
    out['imap'] = str(e)
try:
    pop = poplib.POP3('127.0.0.1', args['pop3'], timeout=10)
    pop.user(args['user'])
    pop.pass_(args['password'])
    pop.quit()
    out['pop3'] = 'ok'
except poplib.error_proto as e:
    out['pop3'] = e.args[0].decode()
`,
    { imap: server.ports.imap, pop3: server.ports.pop3, user, password },
  );
}

/** The reply to RCPT TO on port 25 (as a client in mynetworks) and on LMTP. */
function rcptReplies(server: PosternInstance<'smtp' | 'lmtp' | 'imap' | 'pop3'>, rcpt: string): Promise<{ smtp: string; lmtp: string }> {
  return python(
    `
import smtplib
for name, client in (('smtp', smtplib.SMTP('127.0.0.1', args['smtp'], timeout=10)), ('lmtp', smtplib.LMTP('127.0.0.1', args['lmtp'], timeout=10))):
    client.ehlo('client.example.com')
    client.mail('sender@example.com')
    code, text = client.rcpt(args['rcpt'])
    out[name] = f"{code} {text.decode()}"
    client.quit()
`,
    { smtp: server.ports.smtp, lmtp: server.ports.lmtp, rcpt },
  );
}

function openssl(args: string[]): string {
  const result = spawnSync('openssl', ['passwd', ...args], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern user administration on ${backend}`, { timeout: 180_000 }, () => {
    let dns: DnsTestServer;
    let server: PosternInstance<'smtp' | 'lmtp' | 'imap' | 'pop3'>;

    before(async () => {
      dns = await startDnsServer({});
      server = await startInstance(backend, {
        listen: ['smtp', 'lmtp', 'imap', 'pop3'],
        settings: [
          ['dns.servers', `["${dns.address}"]`],
          ['dns.timeout_ms', '1000'],
          ['imap.allow_cleartext_auth', 'true'],
          ['pop3.allow_cleartext_auth', 'true'],
          ['auth.failure_delay', '0'],
          ['auth.cache_negative_ttl', '0'],
        ],
      });
      console.log(`accounts on ${backend}: ${server.instance.server}`);
    });
    after(async () => {
      await server?.stop();
      await dns?.stop();
    });

    it('imports MD5-crypt ({CRYPT}$1$) and SHA512-CRYPT hashes as they are; the old passwords log in, and the first login rehashes', async () => {
      const md5 = `{CRYPT}${openssl(['-1', '-salt', 'Ab3dEf7h', 'old dovecot pw'])}`;
      const sha = `{SHA512-CRYPT}${openssl(['-6', '-salt', 'Zq3kR9vTsalt', 'newer pw'])}`;
      await server.run(['user', 'add', 'old@example.com', '--password-hash', md5, '--name', 'Old Timer']);
      await server.run(['user', 'add', 'newer@example.com', '--hash', sha]);
      assert.equal((await server.store.getUser('old@example.com'))?.passwordHash, md5, 'stored exactly as given');

      assert.deepEqual(await logins(server, 'old@example.com', 'old dovecot pw'), { imap: 'ok', pop3: 'ok' });
      assert.deepEqual(await logins(server, 'newer@example.com', 'newer pw'), { imap: 'ok', pop3: 'ok' });
      const wrong = await logins(server, 'old@example.com', 'old dovecot pW');
      assert.match(wrong.imap, /AUTHENTICATIONFAILED|[Aa]uthentication failed/);
      assert.match(wrong.pop3, /^-ERR/);
      assert.match((await server.store.getUser('old@example.com'))?.passwordHash ?? '', /^\{SCRYPT\}/, 'rehashed to the default scheme at login');
      assert.deepEqual(await logins(server, 'old@example.com', 'old dovecot pw'), { imap: 'ok', pop3: 'ok' }, 'and the rehash verifies');
    });

    it('refuses a --password-hash it cannot verify, and --password-hash with --password-stdin, with one line', async () => {
      for (const [args, message] of [
        [['--password-hash', 'secret'], /^postern: --password-hash: not a hash Postern can verify/],
        [['--password-hash', '{MD5}x'], /^postern: --password-hash: not a hash/],
        [['--password-hash', '{CRYPT}$1$ab$3sxvD87Z74wfS0b3lhTMN.', '--password-stdin'], /^postern: give either --password-stdin or --password-hash/],
      ] as const) {
        const result = await server.instance.run(['user', 'add', 'refused@example.com', ...args], { input: 'pw\n' });
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, message);
        assert.equal(result.stderr.trimEnd().split('\n').length, 1);
      }
      assert.equal(await server.store.getUser('refused@example.com'), null);
    });

    it('a disabled user cannot log in on IMAP or POP3 and mail to them gets 550 5.2.1 at RCPT (SMTP and LMTP); enabled again, both work', async () => {
      await server.addUser('carol@example.com', 'carol pw');
      await server.run(['alias', 'add', 'team@example.com', 'carol@example.com']);
      assert.deepEqual(await logins(server, 'carol@example.com', 'carol pw'), { imap: 'ok', pop3: 'ok' });

      assert.match((await server.instance.run(['user', 'disable', 'carol@example.com'])).stdout, /^disabled user carol@example\.com$/m);
      const refused = await logins(server, 'carol@example.com', 'carol pw');
      assert.notEqual(refused.imap, 'ok');
      assert.match(refused.pop3, /^-ERR/);
      for (const rcpt of ['carol@example.com', 'team@example.com']) {
        const replies = await rcptReplies(server, rcpt);
        assert.equal(replies.smtp, `550 5.2.1 <${rcpt}>: Recipient address rejected: Mailbox disabled, not accepting messages`);
        assert.equal(replies.lmtp, `550 5.2.1 <${rcpt}> Mailbox disabled, not accepting messages`);
      }
      const shown = JSON.parse((await server.instance.run(['user', 'show', 'carol@example.com', '--json'])).stdout) as { disabled: boolean };
      assert.equal(shown.disabled, true);

      await server.run(['user', 'enable', 'carol@example.com']);
      assert.deepEqual(await logins(server, 'carol@example.com', 'carol pw'), { imap: 'ok', pop3: 'ok' });
      assert.match((await rcptReplies(server, 'carol@example.com')).smtp, /^250 /);
    });

    it('smtpd.disabled_mailbox_reject_code = 450 answers 450 4.2.1 (senders retry); the key takes 4xx or 5xx only', async () => {
      assert.equal(replies.mailboxDisabled('carol@example.com', 450).line, '450 4.2.1 <carol@example.com>: Recipient address rejected: Mailbox disabled, not accepting messages');
      await server.run(['config', 'set', 'smtpd.disabled_mailbox_reject_code', '450']);
      assert.equal((await server.instance.run(['config', 'get', 'smtpd.disabled_mailbox_reject_code'])).stdout.trim(), '450');
      const bad = await server.instance.run(['config', 'set', 'smtpd.disabled_mailbox_reject_code', '250']);
      assert.equal(bad.code, 1);
      await server.run(['config', 'set', 'smtpd.disabled_mailbox_reject_code', '550']);
    });

    it('postern ban: add refuses the client on IMAP and POP3 at once, list shows it, del lets it in again; bad input gets one line', async () => {
      await server.addUser('frank@example.com', 'frank pw');
      const added = await server.instance.run(['ban', 'add', '127.0.0.1', '--time', '1h']);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /^127\.0\.0\.1 banned until \d{4}-\d\d-\d\dT/);
      const refused = await logins(server, 'frank@example.com', 'frank pw');
      assert.notEqual(refused.imap, 'ok');
      assert.match(refused.pop3, /^-ERR/);
      const listed = JSON.parse((await server.instance.run(['ban', 'list', '--json'])).stdout) as { ip: string; until: string }[];
      assert.deepEqual(listed.map((ban) => ban.ip), ['127.0.0.1']);
      const left = Date.parse(listed[0]!.until) - Date.now();
      assert.ok(left > 3_500_000 && left <= 3_600_000, `about an hour left: ${left} ms`);
      assert.match((await server.instance.run(['ban', 'list'])).stdout, /^ADDRESS\s+UNTIL\s+SECONDS LEFT\n127\.0\.0\.1\s/);

      assert.equal((await server.instance.run(['ban', 'del', '127.0.0.1'])).stdout, '127.0.0.1 may log in again\n');
      assert.deepEqual(await logins(server, 'frank@example.com', 'frank pw'), { imap: 'ok', pop3: 'ok' }, 'the same password, refused only for the ban');
      assert.equal((await server.instance.run(['ban', 'del', '127.0.0.1'])).stdout, '127.0.0.1 was not banned\n');

      // A dual-stack listener's view of an IPv4 client is the IPv4 address.
      assert.match((await server.instance.run(['ban', 'add', '::ffff:192.0.2.7'])).stdout, /^192\.0\.2\.7 banned until /);
      assert.deepEqual((JSON.parse((await server.instance.run(['ban', 'list', '--json'])).stdout) as { ip: string }[]).map((ban) => ban.ip), ['192.0.2.7']);
      await server.run(['ban', 'del', '192.0.2.7']);
      assert.equal((await server.instance.run(['ban', 'list', '--json'])).stdout.trim(), '[]');

      for (const [args, message] of [
        [['ban', 'add', 'mail.example.com'], /^postern: "mail\.example\.com" is not an IP address$/],
        [['ban', 'add', '192.0.2.8', '--time', '0'], /^postern: --time: a ban must last longer than 0s$/],
        [['ban', 'add', '192.0.2.8', '--time', 'soon'], /^postern: --time: "soon" is not a time/],
      ] as const) {
        const result = await server.instance.run([...args]);
        assert.equal(result.code, 1, result.stderr);
        assert.equal(result.stderr.trimEnd().split('\n').length, 1);
        assert.match(result.stderr.trimEnd(), message);
      }
    });

    it('user quota and user set change the quota and the name; show prints them', async () => {
      await server.addUser('dave@example.com', 'dave pw');
      assert.match((await server.instance.run(['user', 'quota', 'dave@example.com', '2G'])).stdout, /^quota of dave@example\.com: 2G$/m);
      await server.run(['user', 'set', 'dave@example.com', '--name', 'Dave D']);
      let shown = JSON.parse((await server.instance.run(['user', 'show', 'dave@example.com', '--json'])).stdout) as { quota: number; name: string | null };
      assert.deepEqual([shown.quota, shown.name], [2 * 1024 ** 3, 'Dave D']);
      await server.run(['user', 'set', 'dave@example.com', '--quota', '0', '--name', '']);
      shown = JSON.parse((await server.instance.run(['user', 'show', 'dave@example.com', '--json'])).stdout) as { quota: number; name: string | null };
      assert.deepEqual([shown.quota, shown.name], [0, null]);
      const nothing = await server.instance.run(['user', 'set', 'dave@example.com']);
      assert.equal(nothing.code, 1);
      assert.match(nothing.stderr, /nothing to change/);
      assert.equal((await server.instance.run(['user', 'disable', 'nobody@example.com'])).code, 1);
    });
  });
}
