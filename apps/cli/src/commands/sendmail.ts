import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { AddressError, parseAddress } from '@postern/address';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { readConfig, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { parseSendmailArgs, SendmailUsageError } from '../sendmail/args.js';
import { completeMessage, submittedLines } from '../sendmail/message.js';
import { localMtaAddress, submitToMta } from '../sendmail/submit.js';
import { readStdin } from '../stdin.js';

/**
 * An address from the command line or a header: a bare local part gets our
 * hostname (Postfix append_at_myorigin, myorigin = $myhostname).
 */
function qualify(input: string, hostname: string, what: string): string {
  const text = input.trim().replace(/^<(.*)>$/, '$1');
  try {
    return parseAddress(text.includes('@') ? text : `${text}@${hostname}`).address;
  } catch (err) {
    if (err instanceof AddressError) throw new UsageFailure(`${what}: ${err.message}`);
    throw err;
  }
}

/** Recipient arguments may be lists, with or without display names ("a@x, Bob <b@y>"). */
function argumentRecipients(args: string[]): string[] {
  return args.flatMap((arg) => {
    const parsed = addressparser(arg, { flatten: true }).map((a) => a.address).filter((a) => a !== '');
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
    .description('submit a message from standard input to the local MTA (sendmail(1) compatible: cron, mail(1)); other -oX options are ignored')
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
      const hostname = config.hostname;
      const localUser = `${userInfo().username}@${hostname}`;
      // -f '' or -f '<>' is the null reverse-path (RFC 5321 §4.5.5).
      const sender = args.from === null ? localUser : args.from.trim() === '' || args.from.trim() === '<>' ? '' : qualify(args.from, hostname, '-f');
      const mta = localMtaAddress(config);

      const noRecipients = (): never =>
        cmd.error(`error: no recipients (give them as arguments${args.extractRecipients ? ', or in To, Cc or Bcc' : ', or use -t to read To, Cc and Bcc'})`, {
          exitCode: 2,
          code: 'postern.usage',
        });
      // Without -t the command line alone decides: no waiting for a message that cannot be sent.
      if (args.recipients.length === 0 && !args.extractRecipients) noRecipients();

      const input = await readStdin();
      const completed = completeMessage(submittedLines(input, args.ignoreDots), { from: sender || localUser, fullName: args.fullName, hostname, now: new Date() });
      const wanted = [...argumentRecipients(args.recipients), ...(args.extractRecipients ? completed.headerRecipients : [])];
      if (wanted.length === 0) noRecipients();
      const recipients = unique(wanted.map((r) => qualify(r, hostname, 'recipient')));
      await submitToMta(mta, hostname, { from: sender, recipients, message: completed.message });
    });
}
