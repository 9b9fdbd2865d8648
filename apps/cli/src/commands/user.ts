import { Option, type Command } from 'commander';
import { hashPassword, isStoredPasswordHash } from '@postern/auth';
import { formatSize, parseSize } from '@postern/config';
import { addUser, deleteUser, requireUser, setPasswordHash, updateUser } from '@postern/directory';
import type { User } from '@postern/store';
import { withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { printJson, printLines, printTable } from '../output.js';
import { readPasswordFromStdin } from '../stdin.js';

/** A hash no password verifies against: the account exists but cannot log in yet. */
const NO_PASSWORD = '{NOLOGIN}!';

// What list/show print: never the password hash.
function publicUser(user: User) {
  return {
    address: user.address,
    name: user.name,
    quota: user.quota,
    storageUsed: user.storageUsed,
    disabled: user.disabled,
    hasPassword: user.passwordHash !== NO_PASSWORD,
    createdAt: user.createdAt.toISOString(),
  };
}

function quotaArg(value: string | undefined): number {
  if (value === undefined) return 0;
  try {
    return parseSize(value);
  } catch (err) {
    throw new UsageFailure(`--quota: ${(err as Error).message}`);
  }
}

/** An existing hash to import (Dovecot passdb form): checked here, verified at login, rehashed then. */
function importedHash(value: string): string {
  const hash = value.trim();
  if (!isStoredPasswordHash(hash)) {
    throw new UsageFailure('--password-hash: not a hash Postern can verify (expected a Dovecot {SCHEME} prefix such as {SHA512-CRYPT}, {BLF-CRYPT}, {ARGON2ID}, {CRYPT}, or a bare $6$, $5$, $2y$, $1$, $argon2id$ hash)');
  }
  return hash;
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('manage mail users (one account for SMTP, IMAP and POP3)');

  user
    .command('add')
    .argument('<address>')
    .option('--password-stdin', 'read the password from standard input')
    .option('--quota <size>', 'mailbox quota, e.g. 2G (default: unlimited)')
    .option('--password-hash <hash>', "an existing hash to keep, e.g. '{SHA512-CRYPT}$6$…' from a Dovecot passwd-file (rehashed at the first login)")
    .addOption(new Option('--hash <hash>', 'the same as --password-hash').hideHelp())
    .option('--name <name>', 'display name')
    .description('add a user')
    .action(async (address: string, opts: { passwordStdin?: boolean; passwordHash?: string; hash?: string; quota?: string; name?: string }, cmd: Command) => {
      const quota = quotaArg(opts.quota);
      const given = opts.passwordHash ?? opts.hash;
      if (given !== undefined && opts.passwordStdin) throw new UsageFailure('give either --password-stdin or --password-hash, not both');
      const passwordHash = given !== undefined ? importedHash(given) : opts.passwordStdin ? await hashPassword(await readPasswordFromStdin()) : NO_PASSWORD;
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const added = await addUser(store, { address, passwordHash, name: opts.name ?? null, quota });
        process.stdout.write(`added user ${added.address}\n`);
        if (!opts.passwordStdin && given === undefined) process.stderr.write(`note: ${added.address} has no password yet; set one with: postern user passwd ${added.address} --password-stdin\n`);
      });
    });

  user
    .command('del')
    .argument('<address>')
    .description('delete a user and all of its mail')
    .action(async (address: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        await deleteUser(store, address);
        process.stdout.write(`deleted user ${address}\n`);
      });
    });

  user
    .command('passwd')
    .argument('<address>')
    .option('--password-stdin', 'read the password from standard input')
    .description("set a user's password")
    .action(async (address: string, opts: { passwordStdin?: boolean }, cmd: Command) => {
      if (!opts.passwordStdin) throw new UsageFailure('passwords are read from standard input only: add --password-stdin');
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        await requireUser(store, address);
        const updated = await setPasswordHash(store, address, await hashPassword(await readPasswordFromStdin()));
        process.stdout.write(`password changed for ${updated.address}\n`);
      });
    });

  user
    .command('disable')
    .argument('<address>')
    .description('refuse the user at every login (IMAP, POP3, SMTP AUTH) and refuse mail to them at RCPT (smtpd.disabled_mailbox_reject_code); mail is kept')
    .action(async (address: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const updated = await updateUser(store, address, { disabled: true });
        process.stdout.write(`disabled user ${updated.address}\n`);
      });
    });

  user
    .command('enable')
    .argument('<address>')
    .description('let a disabled user log in and receive mail again')
    .action(async (address: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const updated = await updateUser(store, address, { disabled: false });
        process.stdout.write(`enabled user ${updated.address}\n`);
      });
    });

  user
    .command('quota')
    .argument('<address>')
    .argument('<size>', 'e.g. 2G, or 0 for unlimited')
    .description("change a user's mailbox quota")
    .action(async (address: string, size: string, _opts, cmd: Command) => {
      const quota = quotaArg(size);
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const updated = await updateUser(store, address, { quota });
        process.stdout.write(`quota of ${updated.address}: ${quota ? formatSize(quota) : 'unlimited'}\n`);
      });
    });

  user
    .command('set')
    .argument('<address>')
    .option('--quota <size>', 'mailbox quota, e.g. 2G, or 0 for unlimited')
    .option('--name <name>', 'display name ("" removes it)')
    .description("change a user's quota or display name")
    .action(async (address: string, opts: { quota?: string; name?: string }, cmd: Command) => {
      if (opts.quota === undefined && opts.name === undefined) throw new UsageFailure('nothing to change: give --quota or --name');
      const patch = { ...(opts.quota !== undefined ? { quota: quotaArg(opts.quota) } : {}), ...(opts.name !== undefined ? { name: opts.name === '' ? null : opts.name } : {}) };
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const updated = await updateUser(store, address, patch);
        process.stdout.write(`updated user ${updated.address}\n`);
      });
    });

  user
    .command('list')
    .option('--domain <domain>', 'only users of this domain')
    .option('--json', 'print JSON')
    .description('list users')
    .action(async (opts: { domain?: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const users = (await store.listUsers(opts.domain ? { domain: opts.domain } : {})).map(publicUser);
        if (opts.json) return printJson(users);
        printTable(
          ['ADDRESS', 'NAME', 'QUOTA', 'USED', 'STATUS'],
          users.map((u) => [u.address, u.name ?? '', u.quota ? formatSize(u.quota) : 'unlimited', formatSize(u.storageUsed), u.disabled ? 'disabled' : 'active']),
        );
      });
    });

  user
    .command('show')
    .argument('<address>')
    .option('--json', 'print JSON')
    .description('show one user with its mailboxes')
    .action(async (address: string, opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const found = await requireUser(store, address);
        const mailboxes = await Promise.all(
          (await store.listMailboxes(found.id)).map(async (m) => ({
            path: m.path,
            specialUse: m.specialUse,
            subscribed: m.subscribed,
            messages: await store.countMessages(m.id),
          })),
        );
        const shown = { ...publicUser(found), mailboxes };
        if (opts.json) return printJson(shown);
        printLines([
          `address:   ${shown.address}`,
          `name:      ${shown.name ?? ''}`,
          `quota:     ${shown.quota ? formatSize(shown.quota) : 'unlimited'}`,
          `used:      ${formatSize(shown.storageUsed)}`,
          `status:    ${shown.disabled ? 'disabled' : 'active'}${shown.hasPassword ? '' : ' (no password set)'}`,
          `created:   ${shown.createdAt}`,
          `mailboxes: ${mailboxes.map((m) => `${m.path} (${m.messages})`).join(', ')}`,
        ]);
      });
    });
}
