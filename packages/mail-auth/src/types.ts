import type { DmarcReportEntry } from './dmarc-report-entry.js';
/** What the SMTP session knew about the message's arrival. */
export interface InboundFacts {
  ip: string;
  helo: string | null;
  /** MAIL FROM; '' is the null sender. */
  sender: string;
  /** Our own name: the authserv-id of Authentication-Results (RFC 8601 §2.2). */
  hostname: string;
  queueId: string;
}

/** The key an ARC set is sealed with (RFC 8617 §5.1). */
export interface SealKey {
  domain: string;
  selector: string;
  privateKey: string;
}

export interface InboundVerdict {
  /** CRLF-terminated header lines to prepend: ARC set (when sealing) + Authentication-Results + Received-SPF. */
  headers: string;
  /** RFC 8601 result values: pass, fail, softfail, neutral, none, temperror, permerror, policy. */
  spf: string;
  dkim: string;
  dmarc: string;
  arc: string;
  /** The published policy applying to this DMARC failure (after sp= and pct=); null unless DMARC failed. */
  dmarcPolicy: 'reject' | 'quarantine' | 'none' | null;
  /** With [inbound] dmarc_reject / dmarc_quarantine applied. */
  action: 'accept' | 'quarantine' | 'reject' | 'tempfail';
  /** The SMTP reply for reject and tempfail. */
  reply: { code: number; enhanced: string; text: string } | null;
  /** What an aggregate report counts of this message, per From domain with a DMARC record (RFC 7489 §7.2). */
  dmarcReports: DmarcReportEntry[];
}

/** DKIM-Signature fields to put on top of a message (CRLF-terminated; '' when none), and what signed them. */
export interface SignatureFields {
  fields: string;
  signatures: Signed['signatures'];
}

export interface Signed {
  message: Buffer;
  signatures: { domain: string; selector: string; algorithm: 'rsa' | 'ed25519' }[];
}
