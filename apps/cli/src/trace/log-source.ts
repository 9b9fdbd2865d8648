import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsageFailure } from '../errors.js';

/** One pino JSON line (the fields Postern writes: time, level, event, queue_id, session, msg, …). */
export type LogLine = Record<string, unknown>;

/** systemd's units of the split and the single-process deployments (deploy/systemd). */
const JOURNAL_UNITS = ['postern.service', 'postern-mta.service', 'postern-mailstore.service'];

function parse(text: string): LogLine | null {
  const line = text.trim();
  if (!line.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as LogLine) : null;
  } catch {
    return null;
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    const line = parse(text);
    if (line !== null) lines.push(line);
  }
  return lines;
}

/** The journal of Postern's units, as `journalctl -o cat` prints the JSON lines they wrote. */
function readJournal(): LogLine[] {
  const result = spawnSync('journalctl', ['-o', 'cat', '--no-pager', ...JOURNAL_UNITS.flatMap((unit) => ['-u', unit])], { encoding: 'utf8', maxBuffer: 1024 ** 3 });
  if (result.error || result.status !== 0) {
    throw new UsageFailure(`cannot read the journal (${result.error?.message ?? result.stderr.trim()}); name the log with --log FILE (or - for stdin)`);
  }
  return result.stdout.split('\n').flatMap((text): LogLine[] => {
    const line = parse(text);
    return line === null ? [] : [line];
  });
}

/**
 * Postern's JSON log lines from the files given (`-` is stdin; lines that are
 * not JSON, such as a syslog prefix-less banner, are skipped), or from the
 * systemd journal when none is given.
 */
export async function readLogLines(files: string[]): Promise<LogLine[]> {
  if (files.length === 0) return readJournal();
  const all: LogLine[] = [];
  for (const file of files) {
    const stream = file === '-' ? process.stdin : createReadStream(file);
    try {
      all.push(...(await readStream(stream)));
    } catch (err) {
      throw new UsageFailure(`cannot read the log ${file}: ${(err as Error).message}`);
    }
  }
  return all;
}
