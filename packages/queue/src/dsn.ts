// RFC 3461 (SMTP DSN extension) rules: which notifications a recipient asked for, and how its addresses are reported.

export type NotifyCondition = 'SUCCESS' | 'FAILURE' | 'DELAY';

/**
 * Whether a recipient wants a notification on `condition`. RFC 3461 §4.1:
 * NEVER asks for none; a list asks for exactly what it names; without NOTIFY
 * the default is FAILURE,DELAY (Postfix warns of delays when delay_warning_time is set).
 */
export function wantsNotification(notify: readonly string[] | null | undefined, condition: NotifyCondition): boolean {
  if (notify === null || notify === undefined || notify.length === 0) return condition !== 'SUCCESS';
  const asked = notify.map((value) => value.trim().toUpperCase());
  if (asked.includes('NEVER')) return false;
  return asked.includes(condition);
}

/** RFC 6531/6533: an address that needs SMTPUTF8 is reported with the utf-8 address type. */
export function needsUtf8(text: string): boolean {
  return /[^\x00-\x7f]/.test(text);
}

/** RFC 3464 §2.3.2 Final-Recipient value: `rfc822; addr`, or `utf-8; addr` for an internationalized one (RFC 6533 §3). */
export function finalRecipientValue(address: string): string {
  return `${needsUtf8(address) ? 'utf-8' : 'rfc822'}; ${fieldText(address)}`;
}

/**
 * RFC 3464 §2.3.1 Original-Recipient value from the RCPT ORCPT parameter
 * (RFC 3461 §4.2: addr-type ";" address, already decoded from xtext).
 */
export function originalRecipientValue(orcpt: string): string | null {
  const text = fieldText(orcpt);
  if (text === '') return null;
  const semicolon = text.indexOf(';');
  if (semicolon <= 0) return `rfc822; ${text}`;
  return `${text.slice(0, semicolon).trim()}; ${text.slice(semicolon + 1).trim()}`;
}

/** Text a client or a remote server gave us, made safe for one header field: no CR, LF or other controls. */
export function fieldText(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}
