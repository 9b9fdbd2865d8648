// RFC 8461 §3.2: the MTA-STS policy file, served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt.
import type { PosternConfig } from '@postern/config';

export const MTA_STS_PATH = '/.well-known/mta-sts.txt';

/** The local domain a policy host `mta-sts.DOMAIN` names (RFC 8461 §3.3), or null for any other host. */
export function policyDomain(host: string | null): string | null {
  return host?.startsWith('mta-sts.') ? host.slice('mta-sts.'.length) : null;
}

/** The policy: version first, then mode, one mx line per pattern and max_age, each line ended by CRLF (§3.2). */
export function mtaStsPolicy(config: PosternConfig): string {
  const mx = config.mta_sts.mx.length > 0 ? config.mta_sts.mx : [config.hostname];
  const lines = ['version: STSv1', `mode: ${config.mta_sts.mode}`, ...mx.map((pattern) => `mx: ${pattern}`), `max_age: ${config.mta_sts.max_age}`];
  return lines.map((line) => `${line}\r\n`).join('');
}
