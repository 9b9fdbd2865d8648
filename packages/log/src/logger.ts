import { pino } from 'pino';
import type { Logger } from 'pino';
import { REDACTED, redactPaths } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Written as the `service` field of every line (mta, mailstore, cli, …). */
  name?: string;
  /** pino level; else $POSTERN_LOG_LEVEL; else "info". */
  level?: string;
  /** Where JSON lines go; stdout when absent. */
  destination?: NodeJS.WritableStream;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function resolveLevel(option: string | undefined): string {
  const fromEnv = process.env['POSTERN_LOG_LEVEL'];
  const level = (option ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : 'info')).trim().toLowerCase();
  if (!LEVELS.includes(level)) {
    const source = option !== undefined ? 'log level' : 'POSTERN_LOG_LEVEL';
    throw new Error(`${source} "${level}" is not a level (expected one of ${LEVELS.join(', ')})`);
  }
  return level;
}

/** One JSON line per event, with the level as a word and an ISO time so fail2ban and crowdsec can parse it. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: resolveLevel(options.level),
    base: { service: options.name ?? 'postern' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: redactPaths(), censor: REDACTED },
  };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}
