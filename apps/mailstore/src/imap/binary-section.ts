// BINARY[section] (RFC 3516): a body part with its Content-Transfer-Encoding undone.
import { locate, sectionBytes } from './body-section.js';

/** The encodings under which a part's bytes are its content (RFC 2045 §6.2). */
const IDENTITY = new Set(['7bit', '8bit', 'binary']);

/** RFC 3516 §4.3: NO [UNKNOWN-CTE] when the server cannot decode a part's encoding. */
export class UnknownTransferEncodingError extends Error {
  readonly response = 'NO';
  readonly code = 'UNKNOWN-CTE';
  readonly responseMessage: string;
  constructor(encoding: string) {
    super(`Cannot decode the ${encoding} transfer encoding`);
    this.responseMessage = this.message;
  }
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** RFC 2045 §6.7: soft line breaks removed, `=XX` turned into its octet; anything else passes as it is. */
export function decodeQuotedPrintable(bytes: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte !== 0x3d) {
      out[length++] = byte;
      continue;
    }
    // A soft line break: "=" then optional white space, then the line end (rule 3 allows trailing white space).
    let j = i + 1;
    while (bytes[j] === 0x20 || bytes[j] === 0x09) j++;
    if (bytes[j] === 0x0d && bytes[j + 1] === 0x0a) {
      i = j + 1;
      continue;
    }
    if (bytes[j] === 0x0a) {
      i = j;
      continue;
    }
    const hex = bytes.subarray(i + 1, i + 3).toString('binary');
    if (HEX.test(hex)) {
      out[length++] = parseInt(hex, 16);
      i += 2;
    } else out[length++] = byte;
  }
  return out.subarray(0, length);
}

/**
 * RFC 3516 §4.2: BINARY[] is the whole message as stored; BINARY[part] the
 * part's body decoded from base64 or quoted-printable, or as it is under an
 * identity encoding (multiparts and messages only ever have those). A part
 * that does not exist is empty, as BODY[part] is.
 */
export function binaryBytes(raw: Buffer, path: string): Buffer {
  if (path === '') return raw;
  const at = locate(raw, path);
  if (!at) return Buffer.alloc(0);
  const body = sectionBytes(raw, { path, type: 'content' });
  const encoding = at.entity.transferEncoding;
  if (IDENTITY.has(encoding)) return body;
  if (encoding === 'base64') return Buffer.from(body.toString('latin1'), 'base64');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  throw new UnknownTransferEncodingError(encoding);
}
