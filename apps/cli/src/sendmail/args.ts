/** The sendmail(1) command line, as Postfix's sendmail reads it (getopt: clustered flags, -fADDR or -f ADDR). */
export interface SendmailArgs {
  /** -t: recipients also from To, Cc and Bcc. */
  extractRecipients: boolean;
  /** -f / -r: the envelope sender ('' for the null sender); null when not given. */
  from: string | null;
  /** -F: the full name for a From: header we add. */
  fullName: string | null;
  /** -i / -oi: a line with a single dot does not end the message. */
  ignoreDots: boolean;
  /** Recipient arguments, as given (each may hold a comma-separated list). */
  recipients: string[];
}

/** Bad usage: exit 2, as for any command line error. */
export class SendmailUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SendmailUsageError';
  }
}

// Options that take a value but change nothing here: -B body type, -C config file, -h hop count,
// -L syslog label, -N/-R/-V DSN requests, -O option=value, -X log file, -e/-p legacy modes.
const IGNORED_WITH_VALUE = new Set(['B', 'C', 'h', 'L', 'N', 'O', 'R', 'V', 'X', 'e', 'p']);
// Flags that change nothing here: -v verbose, -m me-too, -n no aliasing, -G gateway, -U initial submission, -c.
const IGNORED_FLAGS = new Set(['v', 'm', 'n', 'G', 'U', 'c']);

export function parseSendmailArgs(argv: readonly string[]): SendmailArgs {
  const args: SendmailArgs = { extractRecipients: false, from: null, fullName: null, ignoreDots: false, recipients: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      args.recipients.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      args.recipients.push(arg);
      continue;
    }
    if (arg.startsWith('--')) throw new SendmailUsageError(`unknown option ${arg}`);
    // One getopt cluster: flags until an option that takes the rest (or the next argument) as its value.
    for (let j = 1; j < arg.length; j++) {
      const option = arg[j] ?? '';
      if (option === 't') args.extractRecipients = true;
      else if (option === 'i') args.ignoreDots = true;
      else if (IGNORED_FLAGS.has(option)) continue;
      else if ('frFobq'.includes(option) || IGNORED_WITH_VALUE.has(option)) {
        let value = arg.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length) throw new SendmailUsageError(`option -${option} needs a value`);
          value = argv[++i] ?? '';
        }
        applyValue(args, option, value);
        break;
      } else throw new SendmailUsageError(`unknown option -${option}`);
    }
  }
  return args;
}

function applyValue(args: SendmailArgs, option: string, value: string): void {
  switch (option) {
    case 'f':
    case 'r':
      args.from = value;
      return;
    case 'F':
      args.fullName = value;
      return;
    case 'o':
      // -oi is -i; every other -oX (-odi, -oem, -oQ…) is a sendmail.cf setting with no meaning here.
      if (value === 'i') args.ignoreDots = true;
      return;
    case 'b':
      // -bm (deliver mail, the default) is the only mode: the others have their own postern commands.
      if (value !== 'm') throw new SendmailUsageError(`-b${value} is not supported (postern sendmail only submits mail; see postern queue list for -bp)`);
      return;
    case 'q':
      throw new SendmailUsageError(`-q${value} is not supported (use postern queue flush)`);
    default:
      return; // IGNORED_WITH_VALUE
  }
}
