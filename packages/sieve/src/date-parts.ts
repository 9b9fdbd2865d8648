// RFC 5260 §4 date and currentdate: a date-time in a zone and its named parts (§4.2).
import { DAY_NAMES, MONTH_NAMES } from '@postern/address';

export interface ZonedDate {
  /** Milliseconds since the epoch (UTC). */
  utc: number;
  /** The zone as minutes east of UTC. */
  offset: number;
}

const MONTHS = MONTH_NAMES.map((name) => name.toLowerCase());
// RFC 5322 §4.3 obsolete zone names.
const ZONES: Record<string, number> = { ut: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };

/** Parses an RFC 5322 §3.3 date-time (with the §4.3 obsolete forms); null when it is not one. */
export function parseRfc5322DateTime(value: string): ZonedDate | null {
  const text = value.replace(/\([^()]*\)/g, ' ');
  const m = /^\s*(?:[A-Za-z]{3}\s*,)?\s*(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?/.exec(text);
  if (!m) return null;
  const month = MONTHS.indexOf(m[2]!.toLowerCase());
  if (month < 0) return null;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) year += 1900;
  const zone = m[7] ?? '-0000';
  let offset: number;
  if (/^[+-]\d{4}$/.test(zone)) offset = zoneMinutes(zone);
  else offset = ZONES[zone.toLowerCase()] ?? 0;
  const local = Date.UTC(year, month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  if (Number.isNaN(local)) return null;
  return { utc: local - offset * 60_000, offset };
}

/** "+hhmm" / "-hhmm" as minutes east of UTC. */
export function zoneMinutes(zone: string): number {
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function zoneText(offset: number, colon: boolean): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

/** RFC 5260 §4.2: the named part of the date in its zone; null for an unknown part. */
export function datePart(date: ZonedDate, part: string): string | null {
  const d = new Date(date.utc + date.offset * 60_000);
  const year = pad(d.getUTCFullYear(), 4);
  const month = pad(d.getUTCMonth() + 1);
  const day = pad(d.getUTCDate());
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  switch (part.toLowerCase()) {
    case 'year':
      return year;
    case 'month':
      return month;
    case 'day':
      return day;
    case 'date':
      return `${year}-${month}-${day}`;
    case 'julian':
      // Modified Julian Day: days since 1858-11-17 (RFC 5260 §4.2).
      return String(Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(1858, 10, 17)) / 86_400_000));
    case 'hour':
      return pad(d.getUTCHours());
    case 'minute':
      return pad(d.getUTCMinutes());
    case 'second':
      return pad(d.getUTCSeconds());
    case 'time':
      return time;
    case 'iso8601':
      return `${year}-${month}-${day}T${time}${zoneText(date.offset, true)}`;
    case 'std11':
      return `${DAY_NAMES[d.getUTCDay()]}, ${day} ${MONTH_NAMES[d.getUTCMonth()]} ${year} ${time} ${zoneText(date.offset, false)}`;
    case 'zone':
      return zoneText(date.offset, false);
    case 'weekday':
      return String(d.getUTCDay());
    default:
      return null;
  }
}
