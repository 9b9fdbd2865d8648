// RFC 5228 §2.4.2.4 encoded-character: "${hex: 40 41}" and "${unicode: 1F600}" in strings, decoded once at compile time.

const ENCODED = /\$\{(hex|unicode):([\s0-9A-Fa-f]*)\}/gi;

export function decodeEncodedCharacters(text: string): string {
  return text.replace(ENCODED, (whole, kind: string, body: string) => {
    const units = body.trim().split(/\s+/).filter((u) => u !== '');
    if (units.length === 0) return whole;
    if (kind.toLowerCase() === 'hex') {
      // A hex sequence is octets of UTF-8; a malformed one is left as written (§2.4.2.4).
      if (units.some((u) => u.length > 2)) return whole;
      const decoded = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.from(units.map((u) => u.padStart(2, '0')).join(''), 'hex'));
      return decoded.includes('\uFFFD') ? whole : decoded;
    }
    const points = units.map((u) => parseInt(u, 16));
    // §2.4.2.4: a code point that is a surrogate or above U+10FFFF is an error; we leave the text as written.
    if (points.some((p) => p > 0x10ffff || (p >= 0xd800 && p <= 0xdfff) || units.some((u) => u.length > 8))) return whole;
    return String.fromCodePoint(...points);
  });
}
