import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { AddressError, parseAddress } from '@postern/address';
import { storeOptions, type PosternConfig } from '@postern/config';
import { localHostNames, myOrigin, qualifyLocalName } from '@postern/directory';
import { openStore, type Store } from '@postern/store';
import { readConfig, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { parseSendmailArgs, SendmailUsageError } from '../sendmail/args.js';
import { completeMessage, listAddresses, submittedLines } from '../sendmail/message.js';
import { describeRefused, postdrop } from '../sendmail/postdrop.js';
import { localMtaAddress, submitToMta } from '../sendmail/submit.js';
import { readStdin } from '../stdin.js';

/**
 * An address from the command line or a header, made local where Postfix
 * would: a bare name gets myorigin (append_at_myorigin), a name of this host
 * (mydestination: localhost, the hostname) becomes the same name at myorigin.
 */
function qualify(input: string, origin: string, localNames: ReadonlySet<string>, what: string): string {
  const text = input.trim().replace(/^<(.*)>$/, '$1');
  try {
    return parseAddress(qualifyLocalName(text, origin, localNames)).address;
  } catch (err) {
    if (err instanceof AddressError) throw new UsageFailure(`${what}: ${err.message}`);
    throw err;
  }
}

/** The store's own errors for a database file this user may not open: sendmail then goes through the MTA. */
const NO_ACCESS = new Set(['EACCES', 'EPERM', 'SQLITE_CANTOPEN', 'SQLITE_READONLY', 'SQLITE_PERM']);

async function openStoreIfAllowed(config: PosternConfig): Promise<Store | null> {
  try {
    return await openStore(storeOptions(config));
  } catch (err) {
    // The store wraps the driver's error; its code is on the cause.
    const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
    if (NO_ACCESS.has(String(code))) return null;
    throw err;
  }
}

/** Recipient arguments may be lists, with or without display names ("a@x, Bob <b@y>"). */
function argumentRecipients(args: string[]): string[] {
  return args.flatMap((arg) => {
    const parsed = listAddresses(arg);
    return parsed.length > 0 ? parsed : [arg];
  });
}

function unique(addresses: string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((a) => {
    const key = a.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function registerSendmail(program: Command): void {
  program
    .command('sendmail')
    .usage('[-t] [-i|-oi] [-f FROM] [-F NAME] [RCPT...] < message')
    .description('queue a message from standard input for delivery (sendmail(1) compatible: cron, mail(1); works while the MTA is down); bare names like root get myorigin; other -oX options are ignored')
    .argument('[args...]', 'options and recipients, as sendmail takes them')
    .helpOption('--help', 'display help for command')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (argv: string[], _opts, cmd: Command) => {
      let args;
      try {
        args = parseSendmailArgs(argv);
      } catch (err) {
        if (err instanceof SendmailUsageError) cmd.error(`error: ${err.message}`, { exitCode: 2, code: 'postern.usage' });
        throw err;
      }
      const { config } = readConfig(cmd.optsWithGlobals<GlobalOptions>());
      const noRecipients = (): never =>
        cmd.error(`error: no recipients (give them as arguments${args.extractRecipients ? ', or in To, Cc or Bcc' : ', or use -t to read To, Cc and Bcc'})`, {
          exitCode: 2,
          code: 'postern.usage',
        });
      // Without -t the command line alone decides: no waiting for a message that cannot be sent.
      if (args.recipients.length === 0 && !args.extractRecipients) noRecipients();

      // Like postdrop, straight into the queue when this user may write the store; else (a user's
      // cron job, a 0600 database) through the local MTA over SMTP, as mynetworks.
      const store = await openStoreIfAllowed(config);
      try {
        const origin = store ? await myOrigin(store, config) : (config.myorigin ?? config.hostname);
        const localNames = localHostNames(config);
        const localUser = `${userInfo().username}@${origin}`;
        // -f '' or -f '<>' is the null reverse-path (RFC 5321 §4.5.5).
        const sender = args.from === null ? localUser : args.from.trim() === '' || args.from.trim() === '<>' ? '' : qualify(args.from, origin, localNames, '-f');

        const input = await readStdin();
        const completed = completeMessage(submittedLines(input, args.ignoreDots), { from: sender || localUser, fullName: args.fullName, hostname: config.hostname, now: new Date() });
        const wanted = [...argumentRecipients(args.recipients), ...(args.extractRecipients ? completed.headerRecipients : [])];
        if (wanted.length === 0) noRecipients();
        const submission = { from: sender, recipients: unique(wanted.map((r) => qualify(r, origin, localNames, 'recipient'))), message: completed.message };
        if (store === null) return await submitToMta(localMtaAddress(config), config.hostname, submission);
        const dropped = await postdrop(store, config, submission);
        if (dropped.refused.length > 0) {
          const others = dropped.accepted.length;
          throw new UsageFailure(`${describeRefused(dropped.refused)} (sent to the other ${others} recipient${others === 1 ? '' : 's'})`);
        }
      } finally {
        await store?.close();
      }
    });
}
