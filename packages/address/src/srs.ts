// The Sender Rewriting Scheme (Shevek's SRS, as libsrs2 and postsrsd write it): the envelope sender of
// forwarded mail becomes an address of ours that carries the original and a keyed hash and timestamp,
// so that the forward passes SPF and a bounce to it can be checked and returned to the original sender.
import { createHmac, timingSafeEqual } from 'node:crypto';

// libsrs2: the timestamp is days modulo 2^10, two base32 characters; a reverse accepts 21 days.
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const TIME_SLOTS = 1024;
const DAY_MS = 86_400_000;
const DEFAULT_MAX_AGE_DAYS = 21;
// libsrs2's default hash length: four base64 characters of an HMAC-SHA1.
const HASH_LENGTH = 4;

export interface SrsOptions {
  /** The key of the hash; several: the first signs, any of them verifies (a key rotation). */
  secrets: readonly string[];
  /** The domain of the rewritten addresses (ours: bounces to it come back to us). */
  domain: string;
  /** How many days a rewritten address is accepted back (default 21). */
  maxAgeDays?: number;
  now?: () => Date;
}

export class SrsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SrsError';
  }
}

function timestamp(now: Date): string {
  const day = Math.floor(now.getTime() / DAY_MS) % TIME_SLOTS;
  return BASE32[day >> 5]! + BASE32[day & 31]!;
}

/** Days since the stamp was made, modulo the 1024-day cycle; null for a stamp that is not two base32 characters. */
function ageInDays(stamp: string, now: Date): number | null {
  const upper = stamp.toUpperCase();
  if (upper.length !== 2) return null;
  const high = BASE32.indexOf(upper[0]!);
  const low = BASE32.indexOf(upper[1]!);
  if (high < 0 || low < 0) return null;
  const today = Math.floor(now.getTime() / DAY_MS) % TIME_SLOTS;
  return (today - ((high << 5) | low) + TIME_SLOTS) % TIME_SLOTS;
}

/** The keyed hash over the parts, case-insensitively (mail systems may change the case of a local part). */
function hash(secret: string, parts: readonly string[]): string {
  const mac = createHmac('sha1', secret);
  for (const part of parts) mac.update(part.toLowerCase());
  return mac.digest('base64').slice(0, HASH_LENGTH);
}

function hashMatches(secrets: readonly string[], given: string, parts: readonly string[]): boolean {
  return secrets.some((secret) => {
    const expected = Buffer.from(hash(secret, parts).toLowerCase());
    const actual = Buffer.from(given.toLowerCase());
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  });
}

function split(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw new SrsError(`${JSON.stringify(address)} is not an address`);
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/** True for an address in SRS0 or SRS1 form (any domain). */
export function isSrsAddress(address: string): boolean {
  return /^SRS[01][=+-]/i.test(address);
}

/**
 * The sender a forward goes out with. An ordinary address becomes
 * SRS0=HHHH=TT=domain=local@ours; an SRS0 address of another forwarder
 * becomes SRS1=HHHH=forwarder==<its SRS0 part>@ours, and an SRS1 address
 * keeps its first forwarder and original, only re-signed (the SRS paper's
 * "shortcut" that keeps addresses short however many hops there are).
 */
export function srsForward(sender: string, options: SrsOptions): string {
  const secret = options.secrets[0];
  if (secret === undefined || secret === '') throw new SrsError('no SRS secret');
  const { local, domain } = split(sender);
  if (domain.toLowerCase() === options.domain.toLowerCase()) return sender;
  const srs1 = /^SRS1[=+-]([^=]+)=([^=]+)==?(.*)$/i.exec(local);
  if (srs1) {
    const [, , firstHop, opaque] = srs1;
    return `SRS1=${hash(secret, [firstHop!, opaque!])}=${firstHop}==${opaque}@${options.domain}`;
  }
  const srs0 = /^SRS0[=+-](.+)$/i.exec(local);
  if (srs0) {
    const opaque = srs0[1]!;
    return `SRS1=${hash(secret, [domain, opaque])}=${domain}==${opaque}@${options.domain}`;
  }
  const stamp = timestamp(options.now?.() ?? new Date());
  return `SRS0=${hash(secret, [stamp, domain, local])}=${stamp}=${domain}=${local}@${options.domain}`;
}

/**
 * Where a bounce to one of our SRS addresses goes: SRS0 back to the
 * original sender (hash and age checked), SRS1 back to the SRS0 address
 * at the first forwarder (hash checked). Throws SrsError for a forged,
 * expired or malformed address, which must be refused, never relayed.
 */
export function srsReverse(address: string, options: SrsOptions): string {
  const { local } = split(address);
  const now = options.now?.() ?? new Date();
  const srs0 = /^SRS0[=+-]([^=]+)=([^=]+)=([^=]+)=(.+)$/i.exec(local);
  if (srs0) {
    const [, given, stamp, domain, original] = srs0;
    if (!hashMatches(options.secrets, given!, [stamp!, domain!, original!])) throw new SrsError(`${address}: the SRS hash does not match (forged or not ours)`);
    const age = ageInDays(stamp!, now);
    if (age === null) throw new SrsError(`${address}: the SRS timestamp is not valid`);
    if (age > (options.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS)) throw new SrsError(`${address}: the SRS address expired ${age} days after it was made`);
    return `${original}@${domain}`;
  }
  const srs1 = /^SRS1[=+-]([^=]+)=([^=]+)==?(.+)$/i.exec(local);
  if (srs1) {
    const [, given, firstHop, opaque] = srs1;
    if (!hashMatches(options.secrets, given!, [firstHop!, opaque!])) throw new SrsError(`${address}: the SRS hash does not match (forged or not ours)`);
    return `SRS0=${opaque}@${firstHop}`;
  }
  throw new SrsError(`${address} is not an SRS address`);
}
