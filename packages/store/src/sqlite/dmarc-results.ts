// DMARC evaluations counted per day for aggregate reports (RFC 7489 §7.2): one row per distinct record, never per message.
import type { DmarcEvaluationResults, DmarcPublishedPolicy, DmarcResult, DmarcResultCount } from '../types.js';
import { dmarcResultsKey } from '../dmarc-results.js';
import type { SqliteDb } from './db.js';

interface ResultRow {
  day: string;
  policy_domain: string;
  header_from: string;
  source_ip: string;
  results: string;
  published: string;
  count: number;
}

export function recordDmarcResult(db: SqliteDb, result: DmarcResult): void {
  // One statement: concurrent processes each add their message; the newest record seen is the one reported.
  db.run(
    `INSERT INTO dmarc_results (day, policy_domain, header_from, source_ip, results, published, count) VALUES (?, ?, ?, ?, ?, ?, 1)
     ON CONFLICT (day, policy_domain, header_from, source_ip, results) DO UPDATE SET count = count + 1, published = excluded.published`,
    result.day,
    result.policyDomain.toLowerCase(),
    result.headerFrom.toLowerCase(),
    result.sourceIp,
    dmarcResultsKey(result.results),
    JSON.stringify(result.published),
  );
}

export function listDmarcResults(db: SqliteDb, day?: string): DmarcResultCount[] {
  const columns = 'day, policy_domain, header_from, source_ip, results, published, count';
  const rows =
    day === undefined
      ? db.all<ResultRow>(`SELECT ${columns} FROM dmarc_results ORDER BY day, policy_domain, header_from, source_ip`)
      : db.all<ResultRow>(`SELECT ${columns} FROM dmarc_results WHERE day = ? ORDER BY policy_domain, header_from, source_ip`, day);
  return rows.map((row) => ({
    day: row.day,
    policyDomain: row.policy_domain,
    headerFrom: row.header_from,
    sourceIp: row.source_ip,
    results: JSON.parse(row.results) as DmarcEvaluationResults,
    published: JSON.parse(row.published) as DmarcPublishedPolicy,
    count: row.count,
  }));
}

export function listDmarcResultDays(db: SqliteDb): string[] {
  return db.all<{ day: string }>('SELECT DISTINCT day FROM dmarc_results ORDER BY day').map((row) => row.day);
}

export function deleteDmarcResults(db: SqliteDb, day: string, policyDomain: string): number {
  return db.run('DELETE FROM dmarc_results WHERE day = ? AND policy_domain = ?', day, policyDomain.toLowerCase());
}
