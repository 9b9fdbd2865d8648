// Fetching an MTA-STS policy over HTTPS (RFC 8461 §3.3).
import { request } from 'node:https';
import type { LookupAddress } from 'node:dns';
import { rootCertificates } from 'node:tls';
import { DnsError, type Resolver } from '@postern/dns';

export interface PolicyFetchOptions {
  resolver: Resolver;
  /** Extra trusted CAs (smtp.tls_CAfile) on top of Node's default list. */
  ca: Buffer | undefined;
  timeoutMs: number;
  /** The port of the policy host: 443 (tests change it). */
  port: number;
}

export class PolicyFetchError extends Error {
  constructor(
    message: string,
    /** RFC 8460 §4.3: sts-webpki-invalid for a certificate the sender cannot validate, else sts-policy-fetch-error. */
    readonly resultType: 'sts-policy-fetch-error' | 'sts-webpki-invalid',
  ) {
    super(message);
    this.name = 'PolicyFetchError';
  }
}

// RFC 8461 §3.3: senders SHOULD impose a limit on the size (64 KB is the RFC's own suggestion in §10.2).
export const POLICY_SIZE_LIMIT = 64 * 1024;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** node:net's lookup hook over our resolver (SPEC §4: every lookup, the policy host's too, goes through it). */
function resolverLookup(resolver: Resolver) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    void (async () => {
      const v4 = await resolver.a(hostname).catch((error: unknown) => (error instanceof DnsError ? [] : Promise.reject(error)));
      const v6 = v4.length > 0 ? [] : await resolver.aaaa(hostname).catch((error: unknown) => (error instanceof DnsError ? [] : Promise.reject(error)));
      const addresses: LookupAddress[] = [...v4.map((address) => ({ address, family: 4 })), ...v6.map((address) => ({ address, family: 6 }))];
      if (addresses.length === 0) {
        const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        error.code = 'ENOTFOUND';
        callback(error, '');
      } else if (options.all === true) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    })().catch((error: unknown) => callback(error as NodeJS.ErrnoException, ''));
  };
}

const WEBPKI_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|Hostname\/IP does not match|ERR_TLS_CERT/i;

/**
 * GET https://mta-sts.<domain>/.well-known/mta-sts.txt: the certificate must
 * chain to a trusted CA and name the host (§3.3), only a 200 counts and
 * redirects are not followed (§3.3), the body is bounded in size and the whole
 * exchange in time. Resolves to the body text; rejects with PolicyFetchError.
 */
export function fetchStsPolicy(domain: string, options: PolicyFetchOptions): Promise<string> {
  const host = `mta-sts.${domain}`;
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const fail = (message: string, resultType: PolicyFetchError['resultType'] = 'sts-policy-fetch-error') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new PolicyFetchError(`https://${host}/.well-known/mta-sts.txt: ${message}`, resultType));
    };
    const req = request(
      {
        host,
        port: options.port,
        path: '/.well-known/mta-sts.txt',
        method: 'GET',
        servername: host,
        lookup: resolverLookup(options.resolver) as never,
        ca: options.ca === undefined ? undefined : [...rootCertificates, options.ca.toString('utf8')],
        rejectUnauthorized: true,
        agent: false,
        headers: { 'user-agent': 'Postern MTA-STS' },
      },
      (response) => {
        // RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed"; only 200 is a policy.
        if (response.statusCode !== 200) return fail(`HTTP status ${String(response.statusCode)}`);
        // RFC 8461 §3.3: the media type SHOULD be text/plain; a sender SHOULD check it.
        const type = String(response.headers['content-type'] ?? '');
        if (!/^text\/plain\b/i.test(type)) return fail(`media type ${JSON.stringify(type)} is not text/plain`);
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > POLICY_SIZE_LIMIT) return fail(`policy larger than ${POLICY_SIZE_LIMIT} bytes`);
          chunks.push(chunk);
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
        response.on('error', (error) => fail(error.message));
      },
    );
    const timer = setTimeout(() => fail(`no policy within ${options.timeoutMs} ms`), options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      fail(error.message, WEBPKI_ERRORS.test(`${error.code ?? ''} ${error.message}`) ? 'sts-webpki-invalid' : 'sts-policy-fetch-error');
    });
    req.end();
  });
}
