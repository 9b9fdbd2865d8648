/**
 * The reply filter of `reject_rbl_client zone=PATTERN` (Postfix's ip_match):
 * four dot-separated octets, each a number or a bracketed set of numbers
 * and ranges, e.g. 127.0.0.2, 127.0.0.[2..11], 127.0.[0;1].[2;4..6].
 */
export type DnsblPattern = (address: string) => boolean;

type OctetSet = (value: number) => boolean;

function parseOctetNumber(text: string, pattern: string): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) > 255) throw new Error(`"${pattern}" is not a reply pattern: "${text}" is not a number from 0 to 255`);
  return Number(text);
}

function parseOctet(text: string, pattern: string): OctetSet {
  if (!text.startsWith('[')) {
    const value = parseOctetNumber(text, pattern);
    return (octet) => octet === value;
  }
  if (!text.endsWith(']') || text.length < 3) throw new Error(`"${pattern}" is not a reply pattern: unclosed "[" in "${text}"`);
  const ranges = text
    .slice(1, -1)
    .split(';')
    .map((part) => {
      const [low = '', high, ...rest] = part.split('..');
      if (rest.length > 0) throw new Error(`"${pattern}" is not a reply pattern: bad range "${part}"`);
      const from = parseOctetNumber(low, pattern);
      const to = high === undefined ? from : parseOctetNumber(high, pattern);
      if (to < from) throw new Error(`"${pattern}" is not a reply pattern: range "${part}" runs backwards`);
      return [from, to] as const;
    });
  return (octet) => ranges.some(([from, to]) => octet >= from && octet <= to);
}

/** Throws an Error naming the problem when the pattern is malformed (a config error at start). */
export function parseDnsblPattern(pattern: string): DnsblPattern {
  const octets = pattern.split(/\.(?![^[]*\])/);
  if (octets.length !== 4) throw new Error(`"${pattern}" is not a reply pattern (expected four octets such as 127.0.0.2 or 127.0.0.[2..11])`);
  const sets = octets.map((octet) => parseOctet(octet, pattern));
  return (address) => {
    const values = address.split('.').map(Number);
    return values.length === 4 && sets.every((set, i) => set(values[i] ?? -1));
  };
}
