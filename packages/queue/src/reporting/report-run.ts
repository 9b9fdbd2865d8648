// What one run of a report job did, per policy domain: the queue id of its report or why none went.
export interface ReportRun {
  day: string;
  domain: string;
  /** The queue entry of the report; null when none was sent. */
  queueId: string | null;
  recipients: string[];
  reason?: string;
}
