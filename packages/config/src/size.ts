const UNITS = ['', 'K', 'M', 'G', 'T'] as const;
const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i;

export const SIZE_EXPECTED = 'bytes, or a number with a K, M, G or T suffix counted in 1024s, e.g. 50M, 512k, 1.5G, 10MB';

/**
 * Parses a size as Postfix and Dovecot operators write it: bytes, or a
 * number with a K/M/G/T suffix (1024-based, optional "B", any case).
 * Used for message_size_limit and for `postern user add --quota`.
 */
export function parseSize(input: string | number): number {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input >= 0) return input;
    throw new Error(`${input} is not a size (expected ${SIZE_EXPECTED})`);
  }
  const match = SIZE.exec(input.trim());
  const digits = match?.[1];
  const unit = (match?.[2] ?? '').toUpperCase();
  if (digits === undefined) throw new Error(`${JSON.stringify(input)} is not a size (expected ${SIZE_EXPECTED})`);
  const bytes = Math.floor(Number(digits) * 1024 ** UNITS.indexOf(unit as (typeof UNITS)[number]));
  // A fraction of a byte ("1.5" or "0.1") is a typo, not a size.
  if (unit === '' && digits.includes('.')) throw new Error(`${JSON.stringify(input)} is not a size (expected ${SIZE_EXPECTED})`);
  if (!Number.isSafeInteger(bytes)) throw new Error(`${JSON.stringify(input)} is too large to be a size (expected at most 8191T)`);
  return bytes;
}

/** The shortest readable form: "50M", "1.5G", "512B"; at most two decimals. */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) throw new Error(`${bytes} is not a size in bytes`);
  let index = 0;
  while (index < UNITS.length - 1 && bytes >= 1024 ** (index + 1)) index += 1;
  if (index === 0) return `${Math.floor(bytes)}B`;
  let scaled = Math.round((bytes / 1024 ** index) * 100) / 100;
  // 1048575 bytes rounds to 1024K: show it as 1M instead.
  if (scaled >= 1024 && index < UNITS.length - 1) {
    index += 1;
    scaled = Math.round((bytes / 1024 ** index) * 100) / 100;
  }
  return `${scaled}${UNITS[index]}`;
}
