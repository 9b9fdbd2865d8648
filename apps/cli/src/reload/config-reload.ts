import { changedKeys, loadConfig, type PosternConfig } from '@postern/config';
import type { Logger } from '@postern/log';
import { MAILSTORE_LIVE_KEYS, reconfigureMailstore, type Mailstore, type TlsProvider } from '@postern/mailstore';
import { checkMtaConfig, MTA_LIVE_KEYS, reconfigureMta, type Mta } from '@postern/mta';
import { QUEUE_LIVE_KEYS } from '@postern/queue';

/** What one process runs; absent parts are not reconfigured. */
export interface RunningParts {
  mta: Mta | null;
  mailstore: Mailstore | null;
  tls: TlsProvider | null;
}

export interface ReloadResult {
  /** The config now in service (the old one when the file was refused). */
  config: PosternConfig;
  applied: string[];
  restartNeeded: string[];
  refused: string | null;
}

const LIVE_KEYS = [...MTA_LIVE_KEYS, ...QUEUE_LIVE_KEYS, ...MAILSTORE_LIVE_KEYS];

function isLive(key: string): boolean {
  return LIVE_KEYS.some((live) => (live.endsWith('.') ? key.startsWith(live) : key === live));
}

/**
 * SIGHUP (systemd's ExecReload, `postern reload`): reads the config file
 * again and validates it as `start` does; a file that fails is refused with
 * one log line and the old config keeps serving. Otherwise the keys the
 * services read at each command (and the relay host, at the next
 * delivery attempt) take effect now, the others (listeners, the
 * store, the queue's settings) are logged as needing a restart, and the TLS
 * certificates are read again.
 */
export function reloadConfig(path: string, current: PosternConfig, parts: RunningParts, logger: Logger): ReloadResult {
  let next: PosternConfig;
  try {
    next = loadConfig(path);
    checkMtaConfig(next);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/\s*\n\s*/g, ' ') : String(err);
    logger.error({ event: 'config_reload', outcome: 'refused', reason }, `SIGHUP: ${path} refused, the running configuration stays: ${reason}`);
    return { config: current, applied: [], restartNeeded: [], refused: reason };
  }
  const changed = changedKeys(current, next);
  const applied = changed.filter(isLive);
  const restartNeeded = changed.filter((key) => !isLive(key));
  // The live keys come from `next`; for the others the services keep reading what they started with.
  const serving = applied.length === changed.length ? next : withLiveKeys(current, next, applied);
  if (parts.mta) {
    reconfigureMta(parts.mta.context, serving);
    // The MTA's queue runner: the relay host and its login for the next attempt.
    parts.mta.context.queue.reconfigure(serving);
  }
  if (parts.mailstore) reconfigureMailstore(parts.mailstore.context, serving);
  logger.info({ event: 'config_reload', outcome: 'applied', applied }, applied.length > 0 ? `SIGHUP: applied ${applied.join(', ')}` : 'SIGHUP: no setting that applies live changed');
  if (restartNeeded.length > 0) {
    logger.warn({ event: 'config_reload', outcome: 'restart_needed', restart_needed: restartNeeded }, `SIGHUP: restart needed for ${restartNeeded.join(', ')} (the running values stay until then)`);
  }
  if (parts.tls) {
    const outcome = parts.tls.reload('SIGHUP');
    logger.info({ signal: 'SIGHUP', ...outcome }, `SIGHUP: TLS certificates ${outcome.changed.length > 0 ? 'reloaded' : outcome.failed.length > 0 ? 'kept (the new ones are unusable)' : 'unchanged'}`);
  } else {
    logger.info({ signal: 'SIGHUP' }, 'SIGHUP: no [tls] certificate in service, no certificate to reload');
  }
  return { config: serving, applied, restartNeeded, refused: null };
}

/** `current` with the applied keys taken from `next`, so that a key that needs a restart keeps its running value. */
function withLiveKeys(current: PosternConfig, next: PosternConfig, applied: string[]): PosternConfig {
  const merged = structuredClone(current) as unknown as Record<string, Record<string, unknown> | unknown>;
  const source = next as unknown as Record<string, Record<string, unknown> | unknown>;
  for (const key of applied) {
    const [section, name] = key.split('.') as [string, string | undefined];
    if (name === undefined) merged[section] = source[section];
    else (merged[section] as Record<string, unknown>)[name] = (source[section] as Record<string, unknown>)[name];
  }
  return merged as unknown as PosternConfig;
}
