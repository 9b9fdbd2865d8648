// `postern import` from a guide-built Postfix + Dovecot + OpenDKIM server (issue 12): Debian's
// Dovecot gets mail over its own LMTP and IMAP (flags, keywords, folders, subscriptions, an
// expunge), mbsync syncs it; then Postern imports the passwd-file, the Maildirs, main.cf and its
// maps and the OpenDKIM keys, and serves the same folders, UIDVALIDITYs, UIDs, flags and bytes,
// logs the users in with their old passwords, and mbsync's state made against Dovecot syncs
// against Postern without fetching anything again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getConfigValue, loadConfig } from '@postern/config';
import { startDovecotLmtp, type DovecotLmtp } from '../mta/dovecot.js';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { python } from '../support/python.js';
import { findTool, runTool } from '../support/tools.js';
import { imapSnapshot, type ImapSnapshot } from './imap-snapshot.js';

const USERS = {
  'alice@example.org': 'alice old pw',
  'bob@example.net': 'bob old pw',
} as const;

const TOOLS: [string, string][] = [
  ['dovecot', 'dovecot-imapd'],
  ['mbsync', 'isync'],
  ['opendkim-genkey', 'opendkim-tools'],
  ['postconf', 'postfix'],
];
const missing = TOOLS.filter(([tool]) => findTool(tool) === null).map(([tool, pkg]) => `${tool} (${pkg})`);
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`missing tools: ${missing.join(', ')}`);

function sha512Crypt(password: string): string {
  const result = spawnSync('openssl', ['passwd', '-6', password], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return `{SHA512-CRYPT}${result.stdout.trim()}`;
}

/** Mail as a guide server holds it: LMTP deliveries, then a client's folders, flags, keywords, an expunge and a sent copy. */
async function populate(dovecot: DovecotLmtp): Promise<void> {
  await python(
    `
import imaplib, smtplib, time
def message(i, rcpt, extra=''):
    return (f"From: Sender {i} <sender{i}@example.com>\\r\\nTo: {rcpt}\\r\\nSubject: message {i} caf\\u00e9\\r\\n"
            f"Message-ID: <m{i}@example.com>\\r\\nDate: Mon, 1 Dec 2025 10:0{i}:00 +0000\\r\\nMIME-Version: 1.0\\r\\n"
            f"Content-Type: text/plain; charset=utf-8\\r\\nContent-Transfer-Encoding: 8bit\\r\\n\\r\\nbody {i} \\u00e9t\\u00e9\\r\\n{extra}").encode()
lmtp = smtplib.LMTP('127.0.0.1', args['lmtp'])
for i in range(1, 7):
    extra = ('x' * 76 + '\\r\\n') * 2000 if i == 5 else ''
    lmtp.sendmail('sender@example.com', ['alice@example.org'], message(i, 'alice@example.org', extra))
    time.sleep(1.1)  # distinct received dates (a Maildir file's mtime, whole seconds)
lmtp.sendmail('sender@example.com', ['bob@example.net'], message(9, 'bob@example.net'))
lmtp.quit()

imap = imaplib.IMAP4('127.0.0.1', args['imap'])
imap.login('alice@example.org', args['alice'])
# Drafts, Junk, Trash and Sent are there already (the guides' auto = subscribe).
for box in ('Archive', 'Archive.2025'):
    imap.create(box)
for box in ('INBOX', 'Archive.2025'):
    imap.subscribe(box)
imap.select('INBOX')
imap.uid('STORE', '2', '+FLAGS', '(\\\\Seen \\\\Flagged)')
imap.uid('STORE', '3', '+FLAGS', '(\\\\Answered \\\\Seen $Forwarded Project-X)')
imap.uid('STORE', '4', '+FLAGS', '(\\\\Deleted \\\\Draft)')
imap.uid('STORE', '6', '+FLAGS', '(NonJunk)')
imap.uid('COPY', '3', 'Archive.2025')
imap.uid('STORE', '1', '+FLAGS', '(\\\\Deleted)')
imap.uid('EXPUNGE', '1')  # RFC 4315 UID EXPUNGE (Dovecot has UIDPLUS)
# message 4 keeps its \\Deleted (T in the file name): expunge only UID 1
imap.append('Sent', '(\\\\Seen)', imaplib.Time2Internaldate(1735725600), message(7, 'someone@example.com'))
imap.logout()
`,
    { lmtp: dovecot.port, imap: dovecot.imapPort, alice: USERS['alice@example.org'] },
  );
}

/** A guide's /etc/postfix: main.cf with its maps as source files (and postmap's .db beside them). */
function postfixDir(root: string): string {
  const dir = join(root, 'postfix');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'main.cf'),
    `# See /usr/share/postfix/main.cf.dist for a commented, more complete version
smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
biff = no
append_dot_mydomain = no
compatibility_level = 3.6
myhostname = mail.example.org
mydomain = example.org
myorigin = $mydomain
mydestination = $myhostname, localhost.$mydomain, localhost
mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128
  192.168.10.0/24
message_size_limit = 40960000
recipient_delimiter = +
inet_interfaces = all
smtpd_helo_required = yes
disable_vrfy_command = yes
smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated,
    reject_unauth_destination, reject_non_fqdn_recipient
smtpd_sender_restrictions = reject_sender_login_mismatch, reject_non_fqdn_sender
smtpd_sender_login_maps = hash:/etc/postfix/sender_login
virtual_mailbox_domains = example.org example.net
virtual_mailbox_maps = hash:/etc/postfix/vmailbox
virtual_alias_maps = hash:/etc/postfix/virtual regexp:/etc/postfix/virtual_regexp
virtual_transport = lmtp:unix:private/dovecot-lmtp
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_milters = inet:localhost:8891
relayhost = [smtp.relay.example]:587
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd
transport_maps = hash:/etc/postfix/transport
`,
  );
  writeFileSync(join(dir, 'virtual'), '# aliases\npostmaster@example.org alice@example.org\nsales@example.org alice@example.org, bob@example.net\n@example.net bob@example.net\n');
  writeFileSync(join(dir, 'virtual_regexp'), '/^(.*)-archive@example\\.org$/ alice@example.org\n');
  writeFileSync(join(dir, 'sender_login'), 'sales@example.org alice@example.org\nalice@example.org alice@example.org\n');
  writeFileSync(join(dir, 'sasl_passwd'), '[smtp.relay.example]:587 apikey:relay-secret\n');
  writeFileSync(join(dir, 'transport'), 'partner.example smtp:[10.0.0.5]:2525\nlegacy.example uucp:legacy\n');
  writeFileSync(join(dir, 'vmailbox'), 'alice@example.org example.org/alice/\n');
  for (const map of ['virtual', 'sender_login', 'sasl_passwd', 'transport', 'vmailbox']) {
    const built = spawnSync('postmap', ['-c', dir, join(dir, map)], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
  }
  // Postfix itself reads this main.cf (postconf complains about a file it cannot parse).
  const checked = spawnSync('postconf', ['-c', dir, '-n'], { encoding: 'utf8' });
  assert.equal(checked.status, 0, checked.stderr);
  return dir;
}

/** /etc/opendkim as the guides set it up with opendkim-genkey; returns the dir and the key's p= value. */
function opendkimDir(root: string): { dir: string; publicKey: string } {
  const dir = join(root, 'opendkim');
  const keys = join(dir, 'keys', 'example.org');
  mkdirSync(keys, { recursive: true });
  const made = spawnSync('opendkim-genkey', ['-b', '2048', '-D', keys, '-d', 'example.org', '-s', 'mail2025'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  writeFileSync(join(dir, 'KeyTable'), 'mail2025._domainkey.example.org example.org:mail2025:/etc/opendkim/keys/example.org/mail2025.private\n');
  writeFileSync(join(dir, 'SigningTable'), '*@example.org mail2025._domainkey.example.org\n');
  writeFileSync(join(dir, 'opendkim.conf'), `KeyTable refile:${join(dir, 'KeyTable')}\nSigningTable refile:${join(dir, 'SigningTable')}\n`);
  const record = readFileSync(join(keys, 'mail2025.txt'), 'utf8').replace(/"\s*"|[\s"()]/g, '');
  const publicKey = /p=([A-Za-z0-9+/=]+)/.exec(record)?.[1] ?? '';
  assert.ok(publicKey.length > 100, record);
  return { dir, publicKey };
}

/** mbsync's channel for alice: every folder, state kept beside the near-side Maildirs. */
function mbsyncConfig(home: string, port: number, tls: string | null): string {
  const file = join(home, 'mbsyncrc');
  writeFileSync(
    file,
    [
      'IMAPAccount server',
      'Host 127.0.0.1',
      `Port ${port}`,
      'User alice@example.org',
      `Pass "${USERS['alice@example.org']}"`,
      ...(tls ? ['SSLType STARTTLS', `CertificateFile ${tls}`] : ['SSLType None', 'AuthMechs LOGIN']),
      '',
      'IMAPStore far',
      'Account server',
      '',
      'MaildirStore near',
      `Path ${home}/mail/`,
      `Inbox ${home}/mail/INBOX`,
      'SubFolders Verbatim',
      '',
      'Channel alice',
      'Far :far:',
      'Near :near:',
      'Patterns *',
      'Create Near',
      'Sync Pull',
      'SyncState *',
      '',
    ].join('\n'),
  );
  return file;
}

/** The near side's message files (path below the root → size): what mbsync downloaded. */
function nearFiles(root: string): Record<string, number> {
  const files: Record<string, number> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\/(cur|new)$/.test(dir)) files[relative(root, path)] = statSync(path).size;
    }
  };
  walk(root);
  return files;
}

describe('postern import from a guide-built Postfix + Dovecot + OpenDKIM server', { skip: missing.length > 0 ? `missing ${missing.join(', ')}` : false, timeout: 600_000 }, () => {
  let root: string;
  let dovecot: DovecotLmtp;
  let passwdFile: string;
  let postfix: string;
  let opendkim: { dir: string; publicKey: string };
  const served: Record<string, ImapSnapshot> = {};
  let mbsyncHome: string;
  let mbsyncFiles: Record<string, number>;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'postern-import-'));
    dovecot = await startDovecotLmtp(
      Object.entries(USERS).map(([address, password]) => ({
        address,
        passwordHash: sha512Crypt(password),
        // The guides' passwd-file fields: uid:gid:gecos:home:shell and the quota as an extra field.
        fields: address.startsWith('alice') ? '::::::userdb_quota_rule=*:storage=1G' : '',
      })),
      { guideMailboxes: true },
    );
    passwdFile = join(dovecot.dir, 'passwd');
    await populate(dovecot);
    postfix = postfixDir(root);
    opendkim = opendkimDir(root);
    for (const [address, password] of Object.entries(USERS)) served[address] = await imapSnapshot(dovecot.imapPort, address, password, false);

    mbsyncHome = join(root, 'mbsync');
    mkdirSync(join(mbsyncHome, 'mail'), { recursive: true });
    const pulled = await runTool('mbsync', ['-c', mbsyncConfig(mbsyncHome, dovecot.imapPort, null), '-a'], { env: { HOME: mbsyncHome } });
    assert.equal(pulled.code, 0, `mbsync against Dovecot failed:\n${pulled.stdout}\n${pulled.stderr}`);
    mbsyncFiles = nearFiles(join(mbsyncHome, 'mail'));
    // 5 in INBOX (the \\Deleted one too), 1 in Archive/2025, 1 in Sent.
    assert.equal(Object.keys(mbsyncFiles).length, 7, `mbsync pulled ${JSON.stringify(mbsyncFiles)}`);
  });

  after(async () => {
    await dovecot?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('Dovecot served what the guide server holds (the comparison below is not vacuous)', () => {
    const alice = served['alice@example.org'];
    assert.ok(alice);
    assert.deepEqual(Object.keys(alice.folders).sort(), ['Archive', 'Archive/2025', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
    const inbox = alice.folders.INBOX;
    assert.deepEqual(inbox?.messages.map((m) => m.uid), [2, 3, 4, 5, 6], 'UID 1 expunged');
    assert.deepEqual(inbox?.messages.find((m) => m.uid === 3)?.flags, ['$Forwarded', 'Project-X', '\\Answered', '\\Seen']);
    assert.deepEqual(alice.subscribed, ['Archive/2025', 'Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
  });

  for (const backend of ['sqlite', 'mongodb'] as const) {
    describe(`into Postern on ${backend}`, () => {
      let server: PosternInstance<'imap' | 'submission' | 'lmtp'>;
      const sources = (): string[] => ['--dovecot-users', passwdFile, '--postfix', postfix, '--opendkim', opendkim.dir, '--maildir-tree', join(dovecot.dir, 'mail')];

      before(async () => {
        server = await startInstance(backend, {
          listen: ['imap', 'submission', 'lmtp'],
          settings: [
            ['imap.allow_cleartext_auth', 'true'],
            ['auth.failure_delay', '0'],
          ],
        });
      });
      after(async () => {
        await server?.stop();
      });

      it('--dry-run prints what it would do and changes nothing', async () => {
        const config = readFileSync(server.instance.configFile, 'utf8');
        const result = await server.instance.run(['import', 'all', '--dry-run', ...sources()]);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /^would add user alice@example\.org \(quota 1073741824 bytes\)$/m);
        assert.match(result.stdout, /^would set smtpd\.mynetworks = /m);
        assert.match(result.stdout, /^would add alias sales@example\.org → alice@example\.org, bob@example\.net$/m);
        assert.match(result.stdout, /^would import 5 message\(s\) into alice@example\.org INBOX/m);
        assert.match(result.stdout, /\(dry run: nothing changed\)/);
        assert.equal(await server.store.getUser('alice@example.org'), null);
        assert.equal(await server.store.getDomain('example.org'), null);
        assert.equal(readFileSync(server.instance.configFile, 'utf8'), config);
      });

      it('imports everything, lists each setting it cannot carry over, and a second run changes nothing', async (t) => {
        const first = await server.instance.run(['import', 'all', ...sources()]);
        t.diagnostic(first.stdout);
        assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
        for (const line of [
          /^not imported: main\.cf biff = no \(no Postern equivalent\)$/m,
          /^not imported: main\.cf compatibility_level = 3\.6 \(no Postern equivalent\)$/m,
          /^not imported: main\.cf smtpd_milters = inet:localhost:8891 \(Postern signs DKIM itself/m,
          /^not imported: main\.cf virtual_transport = lmtp:unix:private\/dovecot-lmtp/m,
          /^not imported: virtual_alias_maps: regexp:\/etc\/postfix\/virtual_regexp: \/\^\(\.\*\)-archive@example\\\.org\$\/ alice@example\.org/m,
          /^not imported: transport_maps: legacy\.example uucp:legacy/m,
          /^not imported: main\.cf mydomain = example\.org \(used to expand \$mydomain/m,
        ]) {
          assert.match(first.stdout, line);
        }
        assert.doesNotMatch(first.stdout, /relay-secret/, 'the relay password is never printed');
        const second = await server.instance.run(['import', 'all', ...sources()]);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, /^import all: nothing to change; \d+ not imported \(listed above\)$/m);
        assert.doesNotMatch(second.stdout, /^(would |add |set |create |import \d|make )/m);
      });

      it('serves every folder, subscription, UIDVALIDITY, UIDNEXT, UID, flag, keyword, INTERNALDATE and byte as Dovecot did', async () => {
        for (const [address, password] of Object.entries(USERS)) {
          const dovecotServed = served[address]!;
          // The one difference: Postern's INBOX is always subscribed (imap-core lists it in LSUB and refuses
          // UNSUBSCRIBE INBOX); bob never subscribed his in Dovecot.
          const expected = { ...dovecotServed, subscribed: [...new Set([...dovecotServed.subscribed, 'INBOX'])].sort() };
          assert.deepEqual(await imapSnapshot(server.ports.imap, address, password, false), expected, address);
        }
      });

      it('keeps the passwd-file hashes and quota: the users log in with their old passwords on IMAP and submission', async () => {
        const alice = await server.store.getUser('alice@example.org');
        assert.match(alice?.passwordHash ?? '', /^\{SHA512-CRYPT\}\$6\$|^\{SCRYPT\}/);
        assert.equal(alice?.quota, 1024 ** 3);
        for (const [address, password] of Object.entries(USERS)) {
          const result = await python<{ submission: string }>(
            `
import smtplib
s = smtplib.SMTP('127.0.0.1', args['port'], timeout=20)
s.starttls(context=tls)
code, text = s.login(args['user'], args['password'])
out['submission'] = f"{code}"
s.quit()
`,
            { port: server.ports.submission, user: address, password },
          );
          assert.equal(result.submission, '235', address);
        }
      });

      it('carries the maps and main.cf settings over: aliases, sender logins, relay host and login, transports, restrictions, the DKIM key', async () => {
        const loaded = loadConfig(server.instance.configFile);
        const config = async (key: string): Promise<unknown> => getConfigValue(loaded, key);
        assert.deepEqual(await config('smtpd.mynetworks'), ['127.0.0.0/8', '[::ffff:127.0.0.0]/104', '[::1]/128', '192.168.10.0/24']);
        assert.equal(await config('smtpd.message_size_limit'), 40960000);
        assert.deepEqual(await config('smtpd.recipient_restrictions'), ['permit_mynetworks', 'permit_sasl_authenticated', 'reject_unauth_destination', 'reject_non_fqdn_recipient']);
        assert.deepEqual(await config('mydestination'), ['$myhostname', 'localhost.example.org', 'localhost']);
        assert.equal(await config('smtp.relayhost'), '[smtp.relay.example]:587');
        assert.equal(await config('smtp.relayhost_username'), 'apikey');
        assert.equal(await config('smtp.relayhost_password'), 'relay-secret');
        assert.deepEqual(await config('smtp.transport_maps'), { 'partner.example': '[10.0.0.5]:2525' });
        assert.deepEqual(await config('dkim.signing_table'), { '*@example.org': 'mail2025' });
        assert.deepEqual((await server.store.getAlias('sales@example.org'))?.targets.sort(), ['alice@example.org', 'bob@example.net']);
        assert.deepEqual((await server.store.getAlias('@example.net'))?.targets, ['bob@example.net']);
        assert.deepEqual((await server.store.listSenderLogins({ address: 'sales@example.org' })).map((s) => s.login), ['alice@example.org']);
        const [key] = await server.store.listDkimKeys('example.org');
        assert.equal(key?.selector, 'mail2025');
        assert.equal(key?.publicKey, opendkim.publicKey, 'the record opendkim-genkey printed stays valid');
        assert.equal(key?.active, true);
      });

      it("mbsync's state made against Dovecot syncs against Postern without downloading anything again", async () => {
        const home = join(server.instance.dir, 'mbsync');
        cpSync(mbsyncHome, home, { recursive: true });
        const rc = mbsyncConfig(home, server.ports.imap, join(server.instance.dir, 'tls', 'cert.pem'));
        const synced = await runTool('mbsync', ['-V', '-c', rc, '-a'], { env: { HOME: home } });
        assert.equal(synced.code, 0, `mbsync against Postern failed:\n${synced.stdout}\n${synced.stderr}`);
        assert.doesNotMatch(`${synced.stdout}${synced.stderr}`, /UIDVALIDITY|lost track/i);
        assert.deepEqual(nearFiles(join(home, 'mail')), mbsyncFiles, 'the near side is exactly as Dovecot left it');
      });
    });
  }
});
