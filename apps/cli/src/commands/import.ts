import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Store } from '@postern/store';
import { configPath, withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { ConfigEdits } from '../import/config-edits.js';
import { importDovecotUsers } from '../import/dovecot-users.js';
import { importMaildir, importMaildirTree } from '../import/maildir.js';
import { importOpendkim } from '../import/opendkim.js';
import { importPostfix } from '../import/postfix.js';
import { ImportReport } from '../import/report.js';

interface ImportOptions {
  dryRun?: boolean;
}

/** Runs one part with the store open (and the config file, for the parts that set keys), then prints its closing line. */
async function run(cmd: Command, part: string, fn: (store: Store, edits: ConfigEdits, report: ImportReport) => Promise<void>): Promise<void> {
  const options = cmd.optsWithGlobals<GlobalOptions & ImportOptions>();
  const report = new ImportReport(options.dryRun === true);
  await withStore(options, async (store) => {
    const edits = new ConfigEdits(configPath(options), report);
    try {
      await fn(store, edits, report);
      edits.finish();
    } catch (err) {
      edits.discard();
      throw err instanceof UsageFailure ? err : new UsageFailure(`import ${part}: ${(err as Error).message}`);
    }
  });
  report.finish(`import ${part}`);
}

function requireSource(path: string, what: string): string {
  if (!existsSync(path)) throw new UsageFailure(`${path}: no such ${what}`);
  return path;
}

export function registerImport(program: Command): void {
  const imports = program
    .command('import')
    .description('move a Postfix + Dovecot (+ OpenDKIM) server to Postern; every part is idempotent and has --dry-run');

  imports
    .command('dovecot-users')
    .argument('<file>', 'a Dovecot passwd-file (user:{SCHEME}hash:uid:gid::home::userdb_quota_rule=*:storage=1G)')
    .option('--dry-run', 'print what would change, change nothing')
    .description('users with their password hashes (kept as they are) and quotas; domains as needed')
    .action(async (file: string, _opts, cmd: Command) => {
      await run(cmd, 'dovecot-users', (store, _edits, report) => importDovecotUsers(store, requireSource(file, 'passwd-file'), report));
    });

  imports
    .command('maildir')
    .argument('<user>', 'the Postern user the mail belongs to')
    .argument('<dir>', "the user's Maildir++ directory (with cur/, new/ and .Folder directories)")
    .option('--dry-run', 'print what would change, change nothing')
    .description("one user's mail: every folder, flags, keywords, subscriptions, UIDVALIDITY and UIDs")
    .action(async (user: string, dir: string, _opts, cmd: Command) => {
      await run(cmd, 'maildir', (store, _edits, report) => importMaildir(store, user, requireSource(dir, 'Maildir'), report));
    });

  imports
    .command('maildir-tree')
    .argument('<root>', 'the mail_location root laid out DOMAIN/USER[/Maildir], e.g. /var/vmail')
    .option('--dry-run', 'print what would change, change nothing')
    .description("every user's Maildir below a Dovecot mail root (%d/%n layout)")
    .action(async (root: string, _opts, cmd: Command) => {
      await run(cmd, 'maildir-tree', (store, _edits, report) => importMaildirTree(store, requireSource(root, 'directory'), report));
    });

  imports
    .command('postfix')
    .argument('[dir]', 'the Postfix configuration directory', '/etc/postfix')
    .option('--dry-run', 'print what would change, change nothing')
    .description('main.cf settings with Postern names, virtual_alias_maps, smtpd_sender_login_maps, transport_maps, relayhost and sasl_passwd')
    .action(async (dir: string, _opts, cmd: Command) => {
      await run(cmd, 'postfix', (store, edits, report) => importPostfix(store, requireSource(dir, 'directory'), edits, report));
    });

  imports
    .command('opendkim')
    .argument('[dir]', 'the OpenDKIM directory with KeyTable, SigningTable and the keys', '/etc/opendkim')
    .option('--dry-run', 'print what would change, change nothing')
    .description('DKIM keys from the KeyTable and the SigningTable')
    .action(async (dir: string, _opts, cmd: Command) => {
      await run(cmd, 'opendkim', (store, edits, report) => importOpendkim(store, requireSource(dir, 'directory'), edits, report));
    });

  imports
    .command('all')
    .option('--dovecot-users <file>', 'the passwd-file', '/etc/dovecot/users')
    .option('--postfix <dir>', 'the Postfix directory', '/etc/postfix')
    .option('--opendkim <dir>', 'the OpenDKIM directory', '/etc/opendkim')
    .option('--maildir-tree <root>', 'the mail root (DOMAIN/USER)', '/var/vmail')
    .option('--dry-run', 'print what would change, change nothing')
    .description('every part above, users first; a part whose source is missing is skipped and said so')
    .action(async (opts: { dovecotUsers: string; postfix: string; opendkim: string; maildirTree: string }, cmd: Command) => {
      await run(cmd, 'all', async (store, edits, report) => {
        const parts: [string, string, () => Promise<void>][] = [
          ['dovecot-users', opts.dovecotUsers, () => importDovecotUsers(store, opts.dovecotUsers, report)],
          ['postfix', opts.postfix, () => importPostfix(store, opts.postfix, edits, report)],
          ['opendkim', opts.opendkim, () => importOpendkim(store, opts.opendkim, edits, report)],
          ['maildir-tree', opts.maildirTree, () => importMaildirTree(store, opts.maildirTree, report)],
        ];
        for (const [name, source, part] of parts) {
          if (existsSync(source)) await part();
          else report.notImported(`${name}: ${source} does not exist (skipped)`);
        }
      });
    });
}
