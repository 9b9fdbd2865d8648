import { formatScore, spamHeaders } from './spam-headers.js';
import type { ScannerAnswer, ScanResult } from './types.js';

/**
 * Turns a scanner's answer into the MTA's decision: 'reject' at or above
 * content_filter.reject_score (when set), else 'spam' when the scanner
 * called it spam, else 'clean'. Spam and reject are flagged YES.
 */
export function verdict(scanner: string, answer: ScannerAnswer, rejectScore: number | undefined, elapsedMs: number): ScanResult {
  const reject = rejectScore !== undefined && answer.score >= rejectScore;
  const status = reject ? 'reject' : answer.spam ? 'spam' : 'clean';
  const flagged = status !== 'clean';
  const score = formatScore(answer.score);
  const why = reject ? `, at or above reject_score ${rejectScore}` : '';
  return {
    status,
    score: answer.score,
    threshold: answer.threshold,
    headers: spamHeaders({ flagged, score: answer.score, threshold: answer.threshold, tests: answer.tests }),
    detail: `${scanner}: ${status} (${answer.summary}, score ${score}/${formatScore(answer.threshold)}${why}) tests=${answer.tests.join(',') || 'none'} in ${elapsedMs} ms`,
  };
}
