import { createSeal, type ARCResult, type DKIMVerifyResult } from 'mailauth';

// RFC 8617 §4.2.1: an ARC chain has at most 50 sets.
const MAX_ARC_INSTANCE = 50;

/**
 * The ARC set (RFC 8617 §5.1) sealing our Authentication-Results as its
 * ARC-Authentication-Results: cv is the incoming chain's state; a chain
 * that already failed is sealed only when its last set claimed to pass.
 */
export async function sealArcSet(dkim: DKIMVerifyResult, arcResult: ARCResult, authResults: string): Promise<string> {
  const status = arcResult.status.result;
  if (!(status === 'none' || status === 'pass' || arcResult.status.shouldSeal)) return '';
  const instance = (typeof arcResult.i === 'number' ? arcResult.i : 0) + 1;
  if (instance > MAX_ARC_INSTANCE || !dkim.seal) return '';
  const { headers } = await createSeal(false, {
    headers: dkim.headers,
    arc: dkim.arc,
    seal: { ...dkim.seal, i: instance, cv: status, authResults, signTime: new Date() },
  });
  if (headers.length !== 3 || headers.some((header) => typeof header !== 'string' || header === '')) {
    throw new Error(`ARC sealing as ${dkim.seal.selector}._domainkey.${dkim.seal.signingDomain} failed: the key cannot sign rsa-sha256`);
  }
  return headers.map((header) => `${header}\r\n`).join('');
}
