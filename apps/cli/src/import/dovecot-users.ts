// Users from a Dovecot passwd-file (the guides' passdb/userdb):
//   user:{SCHEME}hash:uid:gid:gecos:home:shell:extra fields
// Hashes are kept as they are (verified at login, rehashed then); the quota comes from
// `userdb_quota_rule=*:storage=SIZE`; the users' domains are created as needed.
import { readFileSync } from 'node:fs';
import { isStoredPasswordHash } from '@postern/auth';
import { parseSize } from '@postern/config';
import { addUser } from '@postern/directory';
import type { Store } from '@postern/store';
import type { ImportReport } from './report.js';

export interface PasswdFileUser {
  address: string;
  passwordHash: string;
  /** Bytes; 0 for none. */
  quota: number;
  line: number;
}

/** Dovecot quota_rule `*:storage=1G` (a size with Dovecot's b/k/M/G/T units); `+10%`-style relative rules have no meaning here. */
export function quotaFromRule(rule: string): number | null {
  const match = /^\*:storage=(\S+)$/i.exec(rule.trim());
  if (!match?.[1]) return null;
  const value = match[1];
  if (value === '0' || /^unlimited$/i.test(value)) return 0;
  try {
    return parseSize(value);
  } catch {
    return null;
  }
}

/** Parses the file; lines it cannot use are reported, not guessed at. */
export function parsePasswdFile(text: string, report: ImportReport): PasswdFileUser[] {
  const users: PasswdFileUser[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    const [address = '', ...rest] = fields;
    // The hash may itself hold no ':' (crypt and {SCHEME} forms do not), so it is field 2.
    const passwordHash = rest[0] ?? '';
    const extra = fields.slice(7).join(':');
    if (!address.includes('@')) {
      report.notImported(`passwd-file line ${index + 1}: "${address}" is not an address (Postern logins are user@domain)`);
      continue;
    }
    if (!isStoredPasswordHash(passwordHash)) {
      report.notImported(`passwd-file line ${index + 1}: ${address}: a password hash Postern cannot verify`);
      continue;
    }
    let quota = 0;
    for (const field of extra.split(/\s+/).filter(Boolean)) {
      const [key, ...value] = field.split('=');
      if (key === 'userdb_quota_rule' || key === 'quota_rule') {
        const parsed = quotaFromRule(value.join('='));
        if (parsed === null) report.notImported(`${address}: quota rule "${value.join('=')}" (only *:storage=SIZE has a Postern equivalent)`);
        else quota = parsed;
      } else {
        report.notImported(`${address}: extra field ${field}`);
      }
    }
    users.push({ address: address.toLowerCase(), passwordHash, quota, line: index + 1 });
  }
  return users;
}

export async function importDovecotUsers(store: Store, file: string, report: ImportReport): Promise<void> {
  const users = parsePasswdFile(readFileSync(file, 'utf8'), report);
  for (const user of users) {
    const domain = user.address.slice(user.address.lastIndexOf('@') + 1);
    if (!(await store.getDomain(domain))) {
      report.change(`add domain ${domain}`);
      if (!report.dryRun) await store.addDomain(domain);
    }
    const existing = await store.getUser(user.address);
    if (!existing) {
      report.change(`add user ${user.address}${user.quota ? ` (quota ${user.quota} bytes)` : ''}`);
      if (!report.dryRun) await addUser(store, { address: user.address, passwordHash: user.passwordHash, quota: user.quota });
      continue;
    }
    // A hash Postern rehashed at login verifies the same password: only the quota is compared then.
    const patch: { passwordHash?: string; quota?: number } = {};
    if (existing.quota !== user.quota) patch.quota = user.quota;
    if (Object.keys(patch).length === 0) {
      report.same(`user ${user.address}`);
      continue;
    }
    report.change(`set user ${user.address} quota ${user.quota} bytes`);
    if (!report.dryRun) await store.updateUser(user.address, patch);
  }
}
