import { isIPv4, isIPv6 } from 'node:net';

/**
 * The labels of an address in reverse order, as PTR names and DNSBL queries
 * use them: "4.3.2.1" for 1.2.3.4 (RFC 1035 §3.5), 32 nibbles for IPv6
 * (RFC 3596 §2.5). Throws TypeError for anything that is not an IP address.
 */
export function reversedLabels(ip: string): string {
  if (isIPv4(ip)) return ip.split('.').reverse().join('.');
  if (isIPv6(ip)) return [...ipv6Hex(ip)].reverse().join('.');
  throw new TypeError(`${JSON.stringify(ip)} is not an IPv4 or IPv6 address`);
}

/** The PTR query name of an address: 4.3.2.1.in-addr.arpa or the ip6.arpa nibble form. */
export function reverseName(ip: string): string {
  return `${reversedLabels(ip)}.${isIPv4(ip) ? 'in-addr.arpa' : 'ip6.arpa'}`;
}

/** An IPv6 address written out as 32 lowercase hex digits (expands "::" and a dotted IPv4 tail). */
function ipv6Hex(ip: string): string {
  let text = ip.split('%')[0] ?? ip;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [o1, o2, o3, o4] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((o1 << 8) | o2).toString(16)}:${((o3 << 8) | o4).toString(16)}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length > 1 ? [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head;
  return groups.map((group) => group.padStart(4, '0')).join('').toLowerCase();
}
