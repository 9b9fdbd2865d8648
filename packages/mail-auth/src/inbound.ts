import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import type { PosternConfig } from '@postern/config';
import type { Resolver } from '@postern/dns';
import { arc, dkimVerify, spf } from 'mailauth';
import type { ARCData, ARCSealOptions, DKIMResult, DNSResolver } from 'mailauth';
import { sealArcSet } from './arc-seal.js';
import { checkDmarc } from './dmarc-check.js';
import { dmarcReportEntries } from './dmarc-report-entry.js';
import { foldField } from './fold.js';
import { receivedSpfField } from './received-spf.js';
import type { InboundFacts, InboundVerdict, SealKey } from './types.js';

// RFC 8301 §3.2: verifiers MUST NOT accept RSA keys under 1024 bits.
const MIN_KEY_BITS = 1024;
// RFC 8601 §2.7.1 words, best first: the one summary of several DKIM signatures.
const DKIM_ORDER = ['pass', 'fail', 'temperror', 'permerror', 'policy', 'neutral', 'none'];

export interface AuthenticateOptions {
  resolver: Resolver;
  config: PosternConfig;
  /** Seal an ARC set with this key (RFC 8617), e.g. when the message is forwarded off-site. */
  seal?: SealKey | null;
}

/**
 * SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489) and ARC (RFC 8617) for a
 * message received on port 25, through mailauth with every lookup on our
 * resolver; returns the header lines to prepend and what to do with it.
 * The message may be a stream (mailauth's verifier hashes it as it passes).
 */
export async function authenticateInbound(message: Buffer | Readable, facts: InboundFacts, options: AuthenticateOptions): Promise<InboundVerdict> {
  const resolver = options.resolver.mailauthResolver() as DNSResolver;
  const helo = heloIdentity(facts);
  const seal: ARCSealOptions | undefined = options.seal
    ? { signingDomain: options.seal.domain, selector: options.seal.selector, privateKey: options.seal.privateKey, algorithm: 'rsa-sha256' }
    : undefined;

  const [dkim, spfResult] = await Promise.all([
    dkimVerify(message, { resolver, sender: facts.sender || undefined, seal, minBitLength: MIN_KEY_BITS }),
    // RFC 7208 §2.4: for the null sender mailauth checks postmaster@HELO.
    spf({ sender: facts.sender, ip: facts.ip, helo, mta: facts.hostname, resolver }),
  ]);
  const signatures = dkim.results.map(bodyHashMismatchIsFail);
  const arcResult = await arc((dkim.arc ?? { chain: [] }) as unknown as ARCData, { resolver, minBitLength: MIN_KEY_BITS });
  const { rows: dmarcResults, deciding } = await checkDmarc(dkim.headerFrom, spfResult, signatures, arcResult, resolver, options.config.inbound);

  const rows = [
    spfResult.info,
    ...signatures.map((signature) => signature.info),
    ...dmarcResults.map((r) => r.info),
    arcResult.info ?? 'arc=none',
  ];
  const authenticationResults = foldField(`Authentication-Results: ${facts.hostname};\r\n ${rows.join(';\r\n ')}`);
  const arcSet = seal ? await sealArcSet(dkim, arcResult, authenticationResults.slice('Authentication-Results: '.length)) : '';

  const decision = deciding?.decision ?? { dmarcPolicy: null, action: 'accept' as const, reply: null };
  return {
    headers:
      arcSet +
      `${authenticationResults}\r\n` +
      receivedSpfField({
        result: spfResult.status.result,
        comment: spfResult.status.comment ?? null,
        clientIp: spfResult['client-ip'],
        sender: facts.sender,
        helo,
        receiver: facts.hostname,
      }),
    spf: spfResult.status.result,
    dkim: summary(signatures.map((s) => s.status.result)),
    dmarc: deciding?.row.result ?? 'none',
    arc: arcResult.status.result,
    ...decision,
    dmarcReports: dmarcReportEntries(dmarcResults, deciding?.row, decision, spfResult, signatures, facts),
  };
}

/** The HELO name SPF and Received-SPF use; without one, the client's address as a literal (RFC 5321 §4.1.3). */
function heloIdentity(facts: InboundFacts): string {
  const helo = facts.helo?.trim() || facts.ip;
  return isIP(helo) ? `[${helo}]` : helo;
}

/**
 * RFC 6376 §6.1.3: a body hash that does not verify is a failed signature
 * (PERMFAIL); mailauth 4.13.3 calls it neutral, which would hide an altered body.
 */
function bodyHashMismatchIsFail(signature: DKIMResult): DKIMResult {
  if (signature.status.result !== 'neutral' || signature.status.comment !== 'body hash did not verify') return signature;
  return { ...signature, status: { ...signature.status, result: 'fail' }, info: signature.info.replace(/^dkim=neutral/, 'dkim=fail') };
}

function summary(results: string[]): string {
  return DKIM_ORDER.find((result) => results.includes(result)) ?? results[0] ?? 'none';
}
