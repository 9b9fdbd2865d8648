/** What the MTA knows about a message when it asks for a scan (the scanner's envelope). */
export interface ScanFacts {
  /** The SMTP client's IP address. */
  ip: string;
  /** The EHLO/HELO name; null when the client gave none. */
  helo: string | null;
  /** The MAIL FROM reverse-path; '' for the null sender. */
  from: string;
  recipients: string[];
  /**
   * The client's host name as reverse DNS gave it (Postfix client_name),
   * 'unknown' when it has none: rspamd's Hostname header means exactly this.
   */
  hostname: string;
  queueId: string;
  /**
   * The client's SASL login; null for unauthenticated mail. rspamd takes it
   * as the authenticated user, spamd as whose preferences apply.
   */
  user: string | null;
}

export interface ScanResult {
  status: 'clean' | 'spam' | 'reject' | 'unavailable' | 'skipped';
  score: number | null;
  threshold: number | null;
  /** CRLF-terminated lines to prepend: X-Spam-Flag, X-Spam-Score, X-Spam-Status (empty for unavailable/skipped). */
  headers: string;
  /** For the log: "spamd 127.0.0.1:783: connection refused", the tests that hit, … */
  detail: string;
}

/** A message to scan: its bytes, or its size and its bytes on demand (read only when it is within max_size). */
export type ScanMessage = Buffer | { readonly length: number; bytes(): Promise<Buffer> };

export interface ContentScanner {
  /** Never throws and never outlasts content_filter.timeout: trouble is status 'unavailable'. */
  scan(message: ScanMessage, facts: ScanFacts): Promise<ScanResult>;
}

/** What one scanner said about a message, before our own reject_score is applied. */
export interface ScannerAnswer {
  /** The scanner's own call (spamd "Spam: True"; rspamd add header, rewrite subject or reject). */
  spam: boolean;
  score: number;
  /** The scanner's required score (spamd's threshold; rspamd's required_score). */
  threshold: number;
  /** Names of the rules/symbols that hit, for X-Spam-Status tests=. */
  tests: string[];
  /** The scanner's verdict in its own words, for the log ("Spam: True", 'action "reject"'). */
  summary: string;
}
