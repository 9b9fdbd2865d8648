/** English day and month abbreviations, as RFC 5322 §3.3 and ctime(3) write them. */
export const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * RFC 5322 §3.3 date-time, e.g. "Sat, 21 Nov 2026 10:00:00 +0000": in UTC
 * (Received, DSNs), or in the local zone with its offset (the Date field
 * sendmail adds, as Postfix's cleanup does).
 */
export function rfc5322Date(date: Date, zone: 'utc' | 'local' = 'utc'): string {
  if (zone === 'utc') {
    return `${DAY_NAMES[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTH_NAMES[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
  }
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  return `${DAY_NAMES[date.getDay()]}, ${date.getDate()} ${MONTH_NAMES[date.getMonth()]} ${date.getFullYear()} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${sign}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`;
}

/** A calendar date as written in a message, without time or zone. */
export interface CalendarDate {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
}

/**
 * The date part of an RFC 5322 §3.3 date-time as written, ignoring the time
 * and zone (IMAP SENTBEFORE/SENTON/SENTSINCE compare this, RFC 3501 §6.4.4).
 * Accepts the §4.3 obsolete forms (comments, two- and three-digit years).
 */
export function rfc5322CalendarDate(value: string): CalendarDate | null {
  const text = value.replace(/\([^()]*\)/g, ' ');
  const match = /^\s*(?:[A-Za-z]{3}\s*,)?\s*(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})(?![\d])/.exec(text);
  if (!match) return null;
  const month = MONTH_NAMES.findIndex((name) => name.toLowerCase() === match[2]!.toLowerCase()) + 1;
  let year = Number(match[3]);
  // RFC 5322 §4.3: a two-digit year below 50 is 20xx, otherwise 19xx; three digits add 1900.
  if (match[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (match[3]!.length === 3) year += 1900;
  const day = Number(match[1]);
  if (month === 0 || day < 1 || day > 31) return null;
  return { year, month, day };
}
