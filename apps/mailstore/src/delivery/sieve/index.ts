import type { SenderRewriting } from '@postern/directory';
import type { Logger } from '@postern/log';
import type { MailstoreContext } from '../../context.js';
import { SieveFilter } from './filter.js';
import { RedirectLimiter } from './redirect.js';

export { SieveFilter } from './filter.js';
export { KEEP_ONLY, mergeResults, type DeliveryPlan, type PlannedCopy } from './plan.js';
export { destinationOf } from './mailbox.js';
export { enqueueRedirect, RedirectLimiter } from './redirect.js';
export { buildVacationReply, sendVacationReply } from './vacation-reply.js';
export { applyHeaderEdits } from './header-edits.js';

/** What a delivery needs beyond the store to run and carry out the Sieve scripts. */
export interface SieveServices {
  filter: SieveFilter;
  redirects: RedirectLimiter;
  /** Read at each delivery: a reload changes them. */
  maxRedirects(): number;
  hostname(): string;
  /** SRS for redirects to other domains; null when off. */
  srs: SenderRewriting | null;
  log: Logger;
}

/** One set per LMTP service: the compiled-script caches and the daily redirect counts live here. */
export function sieveServices(ctx: MailstoreContext, log: Logger): SieveServices {
  return {
    filter: new SieveFilter(ctx.store, () => ctx.config, log),
    redirects: new RedirectLimiter(() => ctx.config.sieve.redirects_per_day),
    maxRedirects: () => ctx.config.sieve.max_redirects,
    hostname: () => ctx.config.hostname,
    srs: ctx.srs,
    log,
  };
}
