// RFC 5228 §2.10: the actions a run hands back, after duplicates, conflicts and the implicit keep.
import { normalizeFlags } from './flags.js';
import type { SieveAction } from './types.js';

/**
 * The final action list: duplicates collapsed (RFC 5228 §2.10.3), reject's incompatibilities
 * (RFC 5429 §2.1), and the implicit keep (§2.10.2) with the internal flags (RFC 5232 §5).
 */
export function resolveActions(actions: SieveAction[], implicitKeep: boolean, implicitFlags: string[]): SieveAction[] {
  const out: SieveAction[] = [];
  const hasKeep = actions.some((a) => a.type === 'keep');
  for (const action of actions) {
    if (action.type === 'keep') {
      const earlier = out.find((a) => a.type === 'keep');
      if (earlier && earlier.type === 'keep') earlier.flags = normalizeFlags([...earlier.flags, ...action.flags]);
      else out.push(action);
    } else if (action.type === 'fileinto') {
      const earlier = out.find((a) => a.type === 'fileinto' && a.mailbox === action.mailbox);
      if (earlier && earlier.type === 'fileinto') {
        earlier.flags = normalizeFlags([...earlier.flags, ...action.flags]);
        earlier.create ||= action.create;
        earlier.copy &&= action.copy;
      } else out.push(action);
    } else if (action.type === 'redirect') {
      const earlier = out.find((a) => a.type === 'redirect' && a.address.toLowerCase() === action.address.toLowerCase());
      if (earlier && earlier.type === 'redirect') earlier.copy &&= action.copy;
      else out.push(action);
    } else if (action.type === 'discard' && out.some((a) => a.type === 'discard')) {
      continue;
    } else out.push(action);
  }
  const rejects = out.filter((a) => a.type === 'reject');
  if (rejects.length > 1) throw new Error('reject: only one reject or ereject per run (RFC 5429 §2.1)');
  if (rejects.length === 1) {
    const conflict = out.find((a) => a.type === 'keep' || a.type === 'fileinto' || a.type === 'redirect' || a.type === 'vacation');
    if (conflict) throw new Error(`reject cannot be combined with ${conflict.type} (RFC 5429 §2.1)`);
  }
  if (implicitKeep && !hasKeep) out.unshift({ type: 'keep', flags: implicitFlags });
  // RFC 5228 §2.10.3: keep files into INBOX, so a fileinto "INBOX" beside a keep is the same delivery.
  const keep = out.find((a) => a.type === 'keep');
  const inbox = out.findIndex((a) => a.type === 'fileinto' && a.mailbox.toUpperCase() === 'INBOX');
  if (keep && keep.type === 'keep' && inbox >= 0) {
    keep.flags = normalizeFlags([...keep.flags, ...(out[inbox] as { flags: string[] }).flags]);
    out.splice(inbox, 1);
  }
  return out;
}
