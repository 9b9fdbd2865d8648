import type { Command } from 'commander';
import type { QueueEntry, QueueId } from '@postern/store';
import { withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { printJson, printLines } from '../output.js';
import { queueEntryJson } from '../queue-listing.js';
import { collectTrace } from '../trace/collect.js';
import { readLogLines } from '../trace/log-source.js';
import { traceLines } from '../trace/render.js';

export function registerTrace(program: Command): void {
  program
    .command('trace')
    .argument('<id>', 'a queue id (as in the log and `queue list`) or a Message-ID')
    .option('--log <file>', 'a log file of JSON lines (repeatable; - reads stdin); default: the systemd journal of the postern units', (file: string, files: string[]) => [...files, file], [] as string[])
    .option('--json', 'print JSON')
    .description('the whole story of one message: received from whom on which port, checks and verdicts, each delivery attempt and its outcome, bounces')
    .action(async (id: string, opts: { log: string[]; json?: boolean }, cmd: Command) => {
      const trace = collectTrace(await readLogLines(opts.log), id);
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const queued = (await Promise.all(trace.queueIds.map((queueId) => store.getQueueEntry(queueId as QueueId)))).filter((entry): entry is QueueEntry => entry !== null);
        if (trace.lines.length === 0 && queued.length === 0) throw new UsageFailure(`${id}: no such message in the log or the queue`);
        const now = new Date();
        if (opts.json) printJson({ ...trace, queued: queued.map((entry) => queueEntryJson(entry, now)) });
        else printLines(traceLines(trace, queued));
      });
    });
}
