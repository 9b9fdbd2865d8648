import { datedSelector, dkimTxtRecord, zoneTxt } from '@postern/dkim';
import type { DkimKey } from '@postern/store';
import { UsageFailure } from './errors.js';

// RFC 6376 §3.1: selector = sub-domain *( "." sub-domain ), each an LDH label of at most 63 characters (RFC 1035 §2.3.4).
const SELECTOR_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A selector given on the command line, lower-cased (DNS names compare without case). */
export function selectorArg(input: string): string {
  const selector = input.trim().toLowerCase();
  if (selector === '' || !selector.split('.').every((label) => SELECTOR_LABEL.test(label))) {
    throw new UsageFailure(`--selector: "${input}" is not a DKIM selector (expected letters, digits and hyphens, e.g. 202611)`);
  }
  return selector;
}

const FIRST_SUFFIX = 'b'.charCodeAt(0);
const LAST_SUFFIX = 'z'.charCodeAt(0);

/**
 * The month's dated selector (202611), or with the letter after the month's
 * last one when it has keys already (202611b, 202611c, …): the guides'
 * rotation scheme. Never a gap: a deleted key's selector may still be in DNS.
 */
export function nextDatedSelector(taken: Iterable<string>, now: Date): string {
  const base = datedSelector(now);
  let last = -1; // -1: the month has none; 0: the bare base; then one per letter
  for (const selector of taken) {
    const lower = selector.toLowerCase();
    if (lower === base) last = Math.max(last, 0);
    else if (lower.length === base.length + 1 && lower.startsWith(base)) {
      const code = lower.charCodeAt(base.length);
      if (code >= FIRST_SUFFIX && code <= LAST_SUFFIX) last = Math.max(last, code - FIRST_SUFFIX + 1);
    }
  }
  if (last < 0) return base;
  const next = FIRST_SUFFIX + last;
  if (next > LAST_SUFFIX) throw new UsageFailure(`every dated selector of this month (${base} to ${base}z) is used: give one with --selector`);
  return `${base}${String.fromCharCode(next)}`;
}

/** The key's TXT record as a zone-file line, exactly as it is to be published. */
export function dkimRecordLine(key: Pick<DkimKey, 'domain' | 'selector' | 'algorithm' | 'publicKey'>): string {
  const record = dkimTxtRecord(key.domain, key.selector, key.algorithm, key.publicKey);
  return `${record.name}.  IN TXT   ${zoneTxt(record.value)}`;
}

/** A time as the person at the terminal reads it and may paste into a calendar. */
export function utcMinute(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Active keys sign; pending ones wait for their record; rotated ones stay in DNS until retireAt, then may go. */
export function keyStatus(key: DkimKey, now: Date): string {
  if (key.active) return 'active';
  if (key.activateAt !== null) return `pending: signs once its record is published (postern dns check or postern dkim activate sees it), at the latest from ${utcMinute(key.activateAt)}`;
  if (key.retireAt === null) return 'inactive';
  if (key.retireAt > now) return `retiring until ${utcMinute(key.retireAt)}`;
  return `retired since ${utcMinute(key.retireAt)}: remove its record from DNS (the next rotate deletes the key)`;
}

/** What `dkim show --json` prints: never the private key. */
export function dkimKeyJson(key: DkimKey, now: Date) {
  const record = dkimTxtRecord(key.domain, key.selector, key.algorithm, key.publicKey);
  return {
    domain: key.domain,
    selector: key.selector,
    algorithm: key.algorithm,
    active: key.active,
    status: keyStatus(key, now),
    createdAt: key.createdAt.toISOString(),
    retireAt: key.retireAt?.toISOString() ?? null,
    activateAt: key.activateAt?.toISOString() ?? null,
    record,
  };
}
