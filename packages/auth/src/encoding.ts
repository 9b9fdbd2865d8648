// Strict decoders: Buffer.from(…, 'base64') silently skips bad characters, which would let a
// corrupted stored hash decode to something; these return null instead.

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Standard base64 (RFC 4648 §4), padded or not. */
export function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const body = text.replace(/=+$/, '');
  // A lone trailing character carries fewer than 8 bits, so no valid encoding ends that way.
  if (body.length % 4 === 1) return null;
  if (text.length !== body.length && text.length % 4 !== 0) return null;
  return Buffer.from(body, 'base64');
}

/** Standard base64 without padding, as PHC strings carry it. */
export function encodeBase64Unpadded(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

export function decodeHex(text: string): Buffer | null {
  if (!HEX.test(text)) return null;
  return Buffer.from(text, 'hex');
}
