// What a handler reads from a request, every part of it bounded and checked: the client is untrusted.
import type { IncomingMessage } from 'node:http';
import { domainToASCII } from 'node:url';

/** An answer that ends the request with a status (400, 404, 405, 413, 415). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The Host header's name, lower-case A-labels without port or trailing dot (RFC 9110 §7.2); null when absent or malformed. */
export function requestHost(req: IncomingMessage): string | null {
  const host = req.headers.host;
  if (host === undefined || host.length > 300) return null;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  const ascii = domainToASCII(name.replace(/\.$/, '')).toLowerCase();
  return ascii === '' ? null : ascii;
}

/** An address's domain in lower-case A-labels, or null when the text is not `local@domain`. */
export function addressDomain(address: string): string | null {
  const at = address.lastIndexOf('@');
  if (at < 1 || address.length > 320 || /[\s<>]/.test(address)) return null;
  const domain = domainToASCII(address.slice(at + 1)).toLowerCase();
  return domain === '' ? null : domain;
}

/** The request body, refused with 413 beyond `limit` octets (RFC 9110 §15.5.14). */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `request body over ${limit} octets`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request body over ${limit} octets`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
