import type { Command } from 'commander';
import type { QueueEntry, QueueId, Store } from '@postern/store';
import { queueMeta, readQueuedMessage, type RecipientAttempt } from '@postern/queue';
import { withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { printJson, printLines } from '../output.js';
import { isBeingDelivered, mailqLines, queueEntryJson, senderText } from '../queue-listing.js';

async function requireEntry(store: Store, id: string): Promise<QueueEntry> {
  const entry = await store.getQueueEntry(id as QueueId);
  if (!entry) throw new UsageFailure(`no queue entry ${id}`);
  return entry;
}

/** The queued message (the queue's own reader: its parts, in order); a lost part is the operator's error to read. */
async function queuedMessage(store: Store, entry: QueueEntry): Promise<Buffer> {
  try {
    return await readQueuedMessage(store, entry);
  } catch (error) {
    throw new UsageFailure((error as Error).message);
  }
}

/** RFC 5322 §2.1: the header section ends at the first empty line. */
function headerSection(message: Buffer): Buffer {
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return message.subarray(0, crlf + 2);
  return lf >= 0 ? message.subarray(0, lf + 1) : message;
}

/** queue_run_delay in the words an operator uses: 5s, 2m, 1h. */
function shortDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** The policy the recipient's last attempt went under (MTA-STS mode or TLS level), as "  policy=mta-sts:enforce". */
function policyText(attempt: RecipientAttempt | undefined): string {
  return attempt?.policy === undefined ? '' : `  policy=${attempt.policy}`;
}

function entryState(entry: QueueEntry, now: Date): string {
  if (entry.held) return 'on hold (postern queue release to deliver it)';
  if (isBeingDelivered(entry, now)) return `being delivered (lease until ${entry.leaseUntil?.toISOString()})`;
  return entry.nextAttemptAt > now ? `waiting until ${entry.nextAttemptAt.toISOString()}` : 'due now';
}

export function registerQueue(program: Command): void {
  const queue = program.command('queue').description('the outbound queue (postqueue/postsuper): list, show, flush, delete, hold, release');

  queue
    .command('list')
    .option('--json', 'print JSON')
    .description('list queued mail as mailq does ("!" on hold, "*" being delivered)')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const now = new Date();
        const entries = await store.listQueue();
        if (opts.json) return printJson(entries.map((e) => queueEntryJson(e, now)));
        printLines(mailqLines(entries, now));
      });
    });

  queue
    .command('show')
    .argument('<id>', 'queue id')
    .option('--body', 'print the whole message, not only its headers')
    .option('--json', 'print JSON')
    .description('show one queue entry with the message headers (postcat -q)')
    .action(async (id: string, opts: { body?: boolean; json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const now = new Date();
        const entry = await requireEntry(store, id);
        const message = await queuedMessage(store, entry);
        const shown = opts.body ? message : headerSection(message);
        const attempts = new Map(queueMeta(entry).attempts.map((attempt) => [attempt.address.toLowerCase(), attempt]));
        if (opts.json) {
          const text = shown.toString('utf8');
          return printJson({ ...queueEntryJson(entry, now), meta: entry.meta, ...(opts.body ? { message: text } : { headers: text }) });
        }
        printLines([
          `id:         ${entry.id}`,
          `sender:     ${senderText(entry.from)}`,
          `size:       ${entry.size}`,
          `arrival:    ${entry.createdAt.toISOString()}`,
          `attempts:   ${entry.attempts}`,
          `state:      ${entryState(entry, now)}`,
          ...entry.recipients.map((r, i) => `${i === 0 ? 'recipients: ' : '            '}${r.address}  ${r.status}${policyText(attempts.get(r.address.toLowerCase()))}${r.lastResponse ? `  (${r.lastResponse})` : ''}`),
          '',
        ]);
        process.stdout.write(shown);
      });
    });

  queue
    .command('flush')
    .description('make every queued entry due now (postqueue -f)')
    .action(async (_opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const count = await store.flushQueue(new Date());
        process.stdout.write(
          `${count} queue ${count === 1 ? 'entry is' : 'entries are'} due now; a running MTA delivers them within ${shortDuration(config.queue.queue_run_delay)} (queue.queue_run_delay)\n`,
        );
      });
    });

  queue
    .command('delete')
    .argument('[id]', 'queue id')
    .option('--all', 'delete every entry')
    .description('delete a queue entry, or all of them, without a bounce (postsuper -d)')
    .action(async (id: string | undefined, opts: { all?: boolean }, cmd: Command) => {
      if ((id === undefined) === (opts.all !== true)) cmd.error('error: give exactly one of a queue id or --all', { exitCode: 2, code: 'postern.usage' });
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        if (id !== undefined) {
          if (!(await store.deleteQueueEntry(id as QueueId))) throw new UsageFailure(`no queue entry ${id}`);
          process.stdout.write(`deleted ${id}\n`);
          return;
        }
        let deleted = 0;
        for (const entry of await store.listQueue()) if (await store.deleteQueueEntry(entry.id)) deleted++;
        process.stdout.write(`deleted ${deleted} queue ${deleted === 1 ? 'entry' : 'entries'}\n`);
      });
    });

  queue
    .command('hold')
    .argument('<id>', 'queue id')
    .description('keep an entry from delivery until released (postsuper -h)')
    .action(async (id: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        if (!(await store.setQueueHeld(id as QueueId, true))) throw new UsageFailure(`no queue entry ${id}`);
        process.stdout.write(`${id} is on hold\n`);
      });
    });

  queue
    .command('release')
    .argument('<id>', 'queue id')
    .description('let a held entry be delivered again (postsuper -H)')
    .action(async (id: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        if (!(await store.setQueueHeld(id as QueueId, false))) throw new UsageFailure(`no queue entry ${id}`);
        process.stdout.write(`${id} is released\n`);
      });
    });
}
