/** A scan that produced no usable answer; its message becomes the log detail. */
export class ScanFailure extends Error {
  override readonly name = 'ScanFailure';
}

const SOCKET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the scanner',
  EPIPE: 'connection closed by the scanner while the message was sent',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed temporarily',
};

/** One short line for whatever went wrong talking to a scanner. */
export function describeFailure(err: unknown): string {
  if (err instanceof ScanFailure) return err.message;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const known = SOCKET_ERRORS[code];
  if (known) return known;
  // node:http's parser errors (HPE_INVALID_CONSTANT, …): the peer does not speak HTTP.
  if (code.startsWith('HPE_')) return `malformed HTTP answer (${code})`;
  return err instanceof Error ? err.message : String(err);
}
