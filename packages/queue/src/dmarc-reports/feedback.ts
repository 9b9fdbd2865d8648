// The DMARC aggregate report (RFC 7489 §7.2.1, Appendix C): one policy domain, one UTC day, as XML.
import type { DmarcPublishedPolicy, DmarcResultCount } from '@postern/store';

export interface FeedbackIdentity {
  orgName: string;
  email: string;
  reportId: string;
}

/** The UTC day as Appendix C date_range: seconds since the epoch, its first and last second. */
export function feedbackDateRange(day: string): { begin: number; end: number } {
  const begin = Date.parse(`${day}T00:00:00Z`) / 1000;
  return { begin, end: begin + 86_399 };
}

/** XML 1.0 §2.4 character data: & and < escaped (> too, and quotes, for safety). */
function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One element with text content, or '' when the value is absent (minOccurs="0"). */
function element(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : `<${name}>${escape(String(value))}</${name}>`;
}

function policyPublished(domain: string, policy: DmarcPublishedPolicy): string {
  return `<policy_published>${element('domain', domain)}${element('adkim', policy.adkim)}${element('aspf', policy.aspf)}${element('p', policy.p)}${element('sp', policy.sp)}${element('pct', policy.pct)}${element('fo', policy.fo)}</policy_published>`;
}

function record(row: DmarcResultCount): string {
  const { results } = row;
  const reasons = results.reasons.map((type) => `<reason>${element('type', type)}</reason>`).join('');
  const dkim = results.dkim.map((sig) => `<dkim>${element('domain', sig.domain)}${sig.selector === '' ? '' : element('selector', sig.selector)}${element('result', sig.result)}</dkim>`).join('');
  const spf = `<spf>${element('domain', results.spf.domain)}${element('scope', results.spf.scope)}${element('result', results.spf.result)}</spf>`;
  return (
    '<record>' +
    `<row>${element('source_ip', row.sourceIp)}${element('count', row.count)}<policy_evaluated>${element('disposition', results.disposition)}${element('dkim', results.dkimAligned)}${element('spf', results.spfAligned)}${reasons}</policy_evaluated></row>` +
    `<identifiers>${results.envelopeTo === '' ? '' : element('envelope_to', results.envelopeTo)}${element('envelope_from', results.envelopeFrom)}${element('header_from', row.headerFrom)}</identifiers>` +
    `<auth_results>${dkim}${spf}</auth_results>` +
    '</record>'
  );
}

/**
 * The report of one policy domain's counts of one day (Appendix C element
 * order: version, report_metadata, policy_published, then one record per
 * count). policy_published is the record as the first count last saw it.
 */
export function buildFeedback(day: string, domain: string, rows: readonly DmarcResultCount[], identity: FeedbackIdentity): string {
  const range = feedbackDateRange(day);
  const metadata = `<report_metadata>${element('org_name', identity.orgName)}${element('email', identity.email)}${element('report_id', identity.reportId)}<date_range>${element('begin', range.begin)}${element('end', range.end)}</date_range></report_metadata>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<feedback><version>1.0</version>${metadata}${policyPublished(domain, rows[0]!.published)}${rows.map(record).join('')}</feedback>\n`;
}
