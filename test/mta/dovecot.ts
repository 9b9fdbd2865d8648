import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createTestCa, issueLeaf } from '../support/pki.js';
import { freePort } from '../support/ports.js';

export interface DovecotLmtp {
  port: number;
  /** The IMAP port, when started with `imapUsers`. */
  imapPort: number;
  dir: string;
  /** The messages in a user's Maildir INBOX (new/ and cur/), as text. */
  maildir(address: string): string[];
  /**
   * Puts messages straight into a user's Maildir folder (INBOX or a Maildir++ `.Folder`) as unseen files in new/,
   * Dovecot's own format, indexed by Dovecot at the folder's first SELECT.
   */
  fillMaildir(address: string, messages: Iterable<string>, folder?: string): void;
  /** With `tls`: the root certificate a client trusts for the IMAP port's STARTTLS. */
  caFile: string | null;
  log(): string;
  /** The master process's pid (its children serve the sessions), once it has written it. */
  masterPid(): number | null;
  stop(): Promise<void>;
}

function account(name: string): { uid: number; gid: number } | null {
  const found = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const group = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  return found.status === 0 && group.status === 0 ? { uid: Number(found.stdout.trim()), gid: Number(group.stdout.trim()) } : null;
}

/** The guides' conf.d/15-mailboxes.conf: the special-use folders, created and subscribed at first login. */
const GUIDE_MAILBOXES = `namespace inbox {
  inbox = yes
${['Drafts', 'Junk', 'Trash', 'Sent'].map((name) => `  mailbox ${name} {\n    auto = subscribe\n    special_use = \\${name}\n  }\n`).join('')}}
`;

/** A login for Dovecot's passwd-file passdb: the address and its `{SCHEME}hash`. */
export interface DovecotUser {
  address: string;
  passwordHash: string;
  /** The rest of the passwd-file line after the hash, e.g. `::::::userdb_quota_rule=*:storage=1G`. */
  fields?: string;
}

/**
 * A throwaway Dovecot (Debian's dovecot-core + dovecot-lmtpd) serving LMTP
 * only, on a loopback port, with a static userdb that accepts any address and
 * Maildirs in a temp dir. As root it runs its processes as the package's
 * dovecot/dovenull users; otherwise everything runs as the current user.
 * With `imapUsers` (needs dovecot-imapd) it also serves cleartext IMAP to those
 * logins from a passwd-file, with Dovecot's auth cache on (auth_cache_ttl 1h);
 * with `guideMailboxes`, the special-use folders as the guides configure them.
 */
export async function startDovecotLmtp(
  imapUsers?: readonly DovecotUser[],
  options: { guideMailboxes?: boolean; tls?: boolean; /** Extra top-level dovecot.conf lines. */ settings?: string } = {},
): Promise<DovecotLmtp> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-dovecot-'));
  // The mail user (dovecot, when run as root) must reach the Maildirs below it.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const imapPort = imapUsers === undefined ? 0 : await freePort();
  for (const sub of ['run', 'state', 'mail']) mkdirSync(join(dir, sub));
  const asRoot = process.getuid?.() === 0;
  const me = userInfo();
  const mailUser = asRoot ? account('dovecot') : { uid: me.uid, gid: me.gid };
  if (mailUser === null) throw new Error('the dovecot system user is missing (install dovecot-core)');
  if (asRoot) chownSync(join(dir, 'mail'), mailUser.uid, mailUser.gid);
  const conf = join(dir, 'dovecot.conf');
  // With `tls`, STARTTLS on the IMAP port (as Postern offers it) with a leaf of a throwaway test CA.
  const ca = options.tls ? createTestCa(join(dir, 'ca')) : null;
  if (ca) {
    const leaf = issueLeaf(ca, ['localhost']);
    writeFileSync(join(dir, 'cert.pem'), leaf.fullchain);
    writeFileSync(join(dir, 'key.pem'), leaf.key, { mode: 0o600 });
  }
  const imap =
    imapUsers === undefined
      ? ''
      : `disable_plaintext_auth = no
auth_cache_size = 10M
auth_cache_ttl = 1 hour
auth_cache_negative_ttl = 1 hour
passdb {
  driver = passwd-file
  args = ${dir}/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
  if (imapUsers !== undefined) writeFileSync(join(dir, 'passwd'), imapUsers.map((u) => `${u.address}:${u.passwordHash}${u.fields ?? ''}\n`).join(''));
  writeFileSync(
    conf,
    `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = lmtp${imapUsers === undefined ? '' : ' imap'}
${imap}listen = 127.0.0.1
${ca ? `ssl = yes\nssl_cert = <${dir}/cert.pem\nssl_key = <${dir}/key.pem` : 'ssl = no'}
first_valid_uid = ${Math.min(mailUser.uid, 100)}
first_valid_gid = ${Math.min(mailUser.gid, 100)}
default_internal_user = ${asRoot ? 'dovecot' : me.username}
default_internal_group = ${asRoot ? 'dovecot' : me.username}
default_login_user = ${asRoot ? 'dovenull' : me.username}
${imapUsers === undefined ? 'passdb {\n  driver = static\n  args = nopassword=y\n}' : ''}
userdb {
  driver = static
  args = uid=${mailUser.uid} gid=${mailUser.gid} home=${dir}/mail/%d/%n
}
mail_location = maildir:~/Maildir
${options.guideMailboxes ? GUIDE_MAILBOXES : ''}service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${port}
  }
}
service anvil {
  chroot =
}
${options.settings ?? ''}
`,
  );
  const maildirOf = (address: string): string => {
    const [local, domain] = address.split('@');
    return join(dir, 'mail', domain ?? '', local ?? '', 'Maildir');
  };
  const log = (): string => (existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : '');
  // The master daemonizes: no pipes, or the forked daemon would hold them open (and this call) forever.
  const started = spawnSync('dovecot', ['-c', conf], { stdio: 'ignore' });
  if (started.status !== 0) throw new Error(`dovecot did not start (exit ${started.status}):\n${log()}`);
  const pidFile = join(dir, 'run', 'master.pid');
  for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    port,
    imapPort,
    dir,
    log,
    caFile: ca?.rootFile ?? null,
    masterPid: () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : null),
    maildir(address) {
      const base = maildirOf(address);
      return ['new', 'cur'].flatMap((sub) => {
        const folder = join(base, sub);
        return existsSync(folder) ? readdirSync(folder).map((name) => readFileSync(join(folder, name), 'utf8')) : [];
      });
    },
    fillMaildir(address, messages, folder = 'INBOX') {
      const base = folder === 'INBOX' ? maildirOf(address) : join(maildirOf(address), `.${folder}`);
      for (const sub of ['new', 'cur', 'tmp']) mkdirSync(join(base, sub), { recursive: true });
      let n = 0;
      for (const message of messages) writeFileSync(join(base, 'new', `${1_700_000_000 + ++n}.M${n}P${process.pid}.postern`), message);
      if (asRoot) spawnSync('chown', ['-R', `${mailUser.uid}:${mailUser.gid}`, join(dir, 'mail')]);
    },
    async stop() {
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, 'utf8').trim());
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
        for (let i = 0; i < 100; i++) {
          try {
            process.kill(pid, 0);
          } catch {
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
