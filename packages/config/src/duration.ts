const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const DURATION = /^(\d+)\s*([smhdw]?)$/i;

export const DURATION_EXPECTED = 'a time with a unit as Postfix writes it: 300s, 10m, 4h, 5d, 1w (no unit: seconds)';

/**
 * Parses a time as Postfix's time parameters take it (maximal_queue_lifetime
 * = 5d, delay_warning_time = 4h): a whole number with an optional s/m/h/d/w
 * unit, seconds when there is none. Returns milliseconds.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input >= 0) return input * 1000;
    throw new Error(`${input} is not a time (expected ${DURATION_EXPECTED})`);
  }
  const match = DURATION.exec(input.trim());
  if (!match) throw new Error(`${JSON.stringify(input)} is not a time (expected ${DURATION_EXPECTED})`);
  const seconds = Number(match[1]) * (UNIT_SECONDS[(match[2] ?? '').toLowerCase() || 's'] ?? 1);
  if (!Number.isSafeInteger(seconds * 1000)) throw new Error(`${JSON.stringify(input)} is too long a time`);
  return seconds * 1000;
}
