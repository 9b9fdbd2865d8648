// The MTA-STS policy cache (RFC 8461 §5.1) and the TLS-RPT session counts (RFC 8460 §4), one row each.
import type { MtaStsCacheEntry, TlsResult, TlsResultCount } from '../types.js';
import type { SqliteDb } from './db.js';

interface PolicyRow {
  domain: string;
  policy_id: string;
  policy: string;
  fetched_at: number;
  expires_at: number;
}

export function getMtaStsPolicy(db: SqliteDb, domain: string): MtaStsCacheEntry | null {
  const row = db.one<PolicyRow>('SELECT domain, policy_id, policy, fetched_at, expires_at FROM mta_sts_policies WHERE domain = ?', domain.toLowerCase());
  if (!row) return null;
  return { domain: row.domain, id: row.policy_id, policy: row.policy, fetchedAt: new Date(row.fetched_at), expiresAt: new Date(row.expires_at) };
}

export function putMtaStsPolicy(db: SqliteDb, entry: MtaStsCacheEntry): void {
  db.run(
    `INSERT INTO mta_sts_policies (domain, policy_id, policy, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (domain) DO UPDATE SET policy_id = excluded.policy_id, policy = excluded.policy, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`,
    entry.domain.toLowerCase(),
    entry.id,
    entry.policy,
    entry.fetchedAt.getTime(),
    entry.expiresAt.getTime(),
  );
}

interface ResultRow {
  day: string;
  policy_domain: string;
  policy_type: TlsResult['policyType'];
  policy_string: string;
  mx_host: string;
  result_type: TlsResult['resultType'];
  sending_ip: string;
  receiving_ip: string;
  count: number;
}

export function recordTlsResult(db: SqliteDb, result: TlsResult): void {
  // One statement: concurrent processes each add their session.
  db.run(
    `INSERT INTO tls_results (day, policy_domain, policy_type, policy_string, mx_host, result_type, sending_ip, receiving_ip, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
     ON CONFLICT (day, policy_domain, policy_type, policy_string, mx_host, result_type, sending_ip, receiving_ip) DO UPDATE SET count = count + 1`,
    result.day,
    result.policyDomain.toLowerCase(),
    result.policyType,
    JSON.stringify(result.policyString),
    result.mxHost,
    result.resultType,
    result.sendingIp,
    result.receivingIp,
  );
}

export function listTlsResults(db: SqliteDb, day?: string): TlsResultCount[] {
  const columns = 'day, policy_domain, policy_type, policy_string, mx_host, result_type, sending_ip, receiving_ip, count';
  const rows = day === undefined ? db.all<ResultRow>(`SELECT ${columns} FROM tls_results ORDER BY day, policy_domain`) : db.all<ResultRow>(`SELECT ${columns} FROM tls_results WHERE day = ? ORDER BY policy_domain`, day);
  return rows.map((row) => ({
    day: row.day,
    policyDomain: row.policy_domain,
    policyType: row.policy_type,
    policyString: JSON.parse(row.policy_string) as string[],
    mxHost: row.mx_host,
    resultType: row.result_type,
    sendingIp: row.sending_ip,
    receivingIp: row.receiving_ip,
    count: row.count,
  }));
}

export function listTlsResultDays(db: SqliteDb): string[] {
  return db.all<{ day: string }>('SELECT DISTINCT day FROM tls_results ORDER BY day').map((row) => row.day);
}

export function deleteTlsResults(db: SqliteDb, day: string, policyDomain: string): number {
  return db.run('DELETE FROM tls_results WHERE day = ? AND policy_domain = ?', day, policyDomain.toLowerCase());
}
