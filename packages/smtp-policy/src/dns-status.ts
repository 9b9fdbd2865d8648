import { DnsError, type MxRecord, type Resolver } from '@postern/dns';

/** How a name fared in the DNS, in the terms Postfix's unknown-domain/hostname checks decide on. */
export type NameStatus = 'found' | 'nullmx' | 'notfound' | 'tempfail';

/** RFC 7505 §3: a lone MX with an empty exchange (the root) says the domain accepts no mail. */
function isNullMx(records: readonly MxRecord[]): boolean {
  return records.length > 0 && records.every((record) => record.exchange === '' || record.exchange === '.');
}

type Answer = { kind: 'records'; count: number; nullMx: boolean } | { kind: 'nxdomain' } | { kind: 'tempfail' };

async function ask(lookup: () => Promise<readonly unknown[]>, nullMx = false): Promise<Answer> {
  try {
    const records = await lookup();
    return { kind: 'records', count: records.length, nullMx: nullMx && isNullMx(records as readonly MxRecord[]) };
  } catch (error) {
    if (error instanceof DnsError && error.kind === 'NXDOMAIN') return { kind: 'nxdomain' };
    return { kind: 'tempfail' };
  }
}

/**
 * reject_unknown_{sender,recipient}_domain: MX first, then A and AAAA
 * (RFC 5321 §5.1 implicit MX). A null MX stops the search; NXDOMAIN ends it
 * (the name does not exist); a temporary failure counts only when nothing else decided.
 */
export async function mailDomainStatus(resolver: Resolver, domain: string): Promise<NameStatus> {
  let tempfail = false;
  const mx = await ask(() => resolver.mx(domain), true);
  if (mx.kind === 'nxdomain') return 'notfound';
  if (mx.kind === 'records' && mx.nullMx) return 'nullmx';
  if (mx.kind === 'records' && mx.count > 0) return 'found';
  if (mx.kind === 'tempfail') tempfail = true;
  for (const lookup of [() => resolver.a(domain), () => resolver.aaaa(domain)]) {
    const answer = await ask(lookup);
    if (answer.kind === 'records' && answer.count > 0) return 'found';
    if (answer.kind === 'nxdomain') return 'notfound';
    if (answer.kind === 'tempfail') tempfail = true;
  }
  return tempfail ? 'tempfail' : 'notfound';
}

/**
 * reject_unknown_helo_hostname: the name has an A, AAAA or MX record; a null
 * MX still shows that the name exists (Postfix lets MTA names have one).
 */
export async function hostnameStatus(resolver: Resolver, name: string): Promise<NameStatus> {
  let tempfail = false;
  for (const [lookup, mx] of [
    [() => resolver.a(name), false],
    [() => resolver.aaaa(name), false],
    [() => resolver.mx(name), true],
  ] as const) {
    const answer = await ask(lookup, mx);
    if (answer.kind === 'records' && answer.count > 0) return 'found';
    if (answer.kind === 'nxdomain') return 'notfound';
    if (answer.kind === 'tempfail') tempfail = true;
  }
  return tempfail ? 'tempfail' : 'notfound';
}
