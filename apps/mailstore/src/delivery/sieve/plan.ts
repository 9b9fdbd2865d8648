// What the Sieve scripts of one delivery decided, merged over sieve_before, the user's script and
// sieve_after (RFC 5228 §2.10: actions accumulate; the implicit keep survives only if no script cancelled it).
import type { SieveAction, SieveResult } from '@postern/sieve';

export type VacationAction = Extract<SieveAction, { type: 'vacation' }>;
export type HeaderEdit = Extract<SieveAction, { type: 'addheader' | 'deleteheader' }>;

/** Where one copy goes: 'INBOX' for keep, else the fileinto mailbox. */
export interface PlannedCopy {
  mailbox: string;
  flags: string[];
  create: boolean;
}

export interface DeliveryPlan {
  copies: PlannedCopy[];
  redirects: string[];
  reject: { reason: string; extended: boolean } | null;
  vacation: VacationAction | null;
  edits: HeaderEdit[];
  /** The scripts' errors (each ended in keep), for the log. */
  errors: string[];
  discarded: boolean;
}

export const KEEP_ONLY: DeliveryPlan = { copies: [{ mailbox: 'INBOX', flags: [], create: false }], redirects: [], reject: null, vacation: null, edits: [], errors: [], discarded: false };

function addCopy(copies: PlannedCopy[], copy: PlannedCopy): void {
  const same = copies.find((c) => c.mailbox.toUpperCase() === 'INBOX' ? copy.mailbox.toUpperCase() === 'INBOX' : c.mailbox === copy.mailbox);
  if (!same) copies.push({ ...copy, flags: [...copy.flags] });
  else {
    for (const flag of copy.flags) if (!same.flags.some((f) => f.toLowerCase() === flag.toLowerCase())) same.flags.push(flag);
    same.create ||= copy.create;
  }
}

/** Merges the results of the scripts that ran, in order. */
export function mergeResults(results: { name: string; result: SieveResult }[]): DeliveryPlan {
  const plan: DeliveryPlan = { copies: [], redirects: [], reject: null, vacation: null, edits: [], errors: [], discarded: false };
  let keep: PlannedCopy | null = { mailbox: 'INBOX', flags: [], create: false };
  for (const { name, result } of results) {
    if (result.error !== null) plan.errors.push(`${name}: ${result.error}`);
    const kept = result.actions.find((a): a is Extract<SieveAction, { type: 'keep' }> => a.type === 'keep');
    // A script that cancelled its implicit keep (fileinto, discard, redirect, reject) cancels the final keep.
    if (!kept) keep = null;
    else if (keep) keep = { mailbox: 'INBOX', flags: kept.flags, create: false };
    for (const action of result.actions) {
      switch (action.type) {
        case 'fileinto':
          addCopy(plan.copies, { mailbox: action.mailbox, flags: action.flags, create: action.create });
          break;
        case 'redirect':
          if (!plan.redirects.some((r) => r.toLowerCase() === action.address.toLowerCase())) plan.redirects.push(action.address);
          break;
        case 'reject':
          plan.reject ??= { reason: action.reason, extended: action.extended };
          break;
        case 'vacation':
          plan.vacation ??= action;
          break;
        case 'discard':
          plan.discarded = true;
          break;
        case 'addheader':
        case 'deleteheader':
          plan.edits.push(action);
          break;
        case 'keep':
          break;
      }
    }
  }
  if (keep) addCopy(plan.copies, keep);
  // INBOX first: a keep is the copy a client looks for first.
  plan.copies.sort((a, b) => Number(b.mailbox.toUpperCase() === 'INBOX') - Number(a.mailbox.toUpperCase() === 'INBOX'));
  return plan;
}
