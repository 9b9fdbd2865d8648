import { randomBytes } from 'node:crypto';
import type { PosternConfig } from '@postern/config';
import type { Store } from '@postern/store';
import { isBeingDelivered } from '../queue-listing.js';
import { finding, type DoctorFinding } from './finding.js';

const MINUTE_MS = 60_000;
/** A due entry no runner took within this (beyond queue_run_delay) means no queue runner is running. */
const STUCK_GRACE_MS = 10 * MINUTE_MS;

function age(ms: number): string {
  if (ms < MINUTE_MS) return `${Math.round(ms / 1000)} s`;
  if (ms < 60 * MINUTE_MS) return `${Math.round(ms / MINUTE_MS)} min`;
  if (ms < 48 * 60 * MINUTE_MS) return `${(ms / (60 * MINUTE_MS)).toFixed(1)} h`;
  return `${(ms / (24 * 60 * MINUTE_MS)).toFixed(1)} days`;
}

/** Reachable (it describes itself) and writable (a domain record added and removed again). */
export async function checkStore(store: Store): Promise<DoctorFinding> {
  let described: string;
  try {
    described = await store.describe();
  } catch (err) {
    return finding('store', store.backend, 'fail', `does not answer: ${(err as Error).message}`, 'check [store] and that the database (file or server) is there');
  }
  // A name that can never be a real domain (RFC 2606 §2: .invalid).
  const probe = `postern-doctor-${randomBytes(4).toString('hex')}.invalid`;
  try {
    await store.addDomain(probe);
  } catch (err) {
    return finding('store', described, 'fail', `is not writable: ${(err as Error).message}`, 'check the permissions of data_dir and the free disk space (or the database user\'s rights)');
  } finally {
    await store.deleteDomain(probe).catch(() => false);
  }
  return finding('store', described, 'ok', 'reachable and writable');
}

/** Each domain has an active DKIM key to sign with. */
export async function checkDkimKeys(store: Store, domains: string[]): Promise<DoctorFinding[]> {
  return Promise.all(
    domains.map(async (domain) => {
      const keys = await store.listDkimKeys(domain);
      const active = keys.filter((key) => key.active);
      if (active.length === 0) return finding('dkim', domain, 'fail', 'no active DKIM key: mail from this domain goes out unsigned and fails DMARC', `postern dkim generate ${domain}`);
      return finding('dkim', domain, 'ok', `signing with ${active.map((key) => `${key.selector} (${key.algorithm})`).join(', ')}`);
    }),
  );
}

/** The queue moves: no due entry left unleased long past its time, and how old the oldest is. */
export async function checkQueue(store: Store, config: PosternConfig, now: Date): Promise<DoctorFinding> {
  const entries = await store.listQueue();
  if (entries.length === 0) return finding('queue', 'outbound queue', 'ok', 'empty');
  const oldest = entries.reduce((a, b) => (a.createdAt <= b.createdAt ? a : b));
  const summary = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, oldest ${oldest.id} from ${age(now.getTime() - oldest.createdAt.getTime())} ago`;
  const stuck = entries.filter((entry) => !entry.held && !isBeingDelivered(entry, now) && now.getTime() - entry.nextAttemptAt.getTime() > config.queue.queue_run_delay + STUCK_GRACE_MS);
  if (stuck.length > 0) {
    const late = stuck.reduce((a, b) => (a.nextAttemptAt <= b.nextAttemptAt ? a : b));
    return finding('queue', 'outbound queue', 'fail', `${summary}; ${stuck.length} due but untouched (${late.id} was due ${age(now.getTime() - late.nextAttemptAt.getTime())} ago): no queue runner is running`, 'start the MTA (postern start or systemctl start postern-mta), then postern queue flush');
  }
  const lifetime = now.getTime() - oldest.createdAt.getTime();
  if (config.queue.delay_warning_time > 0 && lifetime > config.queue.delay_warning_time) {
    return finding('queue', 'outbound queue', 'warn', `${summary}: delivery has failed longer than queue.delay_warning_time`, `postern queue show ${oldest.id} for its last reply`);
  }
  return finding('queue', 'outbound queue', 'ok', summary);
}
