/** The three fields of a SASL PLAIN message (RFC 4616 §2). */
export interface PlainCredentials {
  /** Authorization identity; empty when the client acts as itself. */
  authzid: string;
  username: string;
  password: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes a base64 PLAIN response (RFC 5034 §4, RFC 4616 §2:
 * `[authzid] NUL authcid NUL passwd`). Null when it is not valid base64 or
 * not three fields with a non-empty username and password.
 */
export function decodePlainResponse(response: string): PlainCredentials | null {
  if (!BASE64.test(response)) return null;
  const fields = Buffer.from(response, 'base64').toString('utf8').split('\0');
  if (fields.length !== 3) return null;
  const [authzid, username, password] = fields as [string, string, string];
  if (username === '' || password === '') return null;
  return { authzid, username, password };
}
