import type { RuleResult, SessionFacts, Stage } from './types.js';

/** Postfix's reply classes: the words before "rejected:" in a reply. */
export type ReplyClass =
  | 'Client host'
  | 'Unverified Client host'
  | 'Helo command'
  | 'Sender address'
  | 'Recipient address'
  | 'Data command'
  | 'End-of-data';

/** What a reply is about: `<name>: class rejected: …`. */
export interface ReplySubject {
  name: string;
  class: ReplyClass;
}

export const DUNNO: RuleResult = { action: 'dunno' };
export const PERMIT: RuleResult = { action: 'permit' };

/** Postfix's client "namaddr": `host[ip]`, with "unknown" when the name did not verify. */
export function clientNameAddress(facts: SessionFacts): string {
  return `${facts.clientHostname ?? 'unknown'}[${facts.clientAddress}]`;
}

export function clientSubject(facts: SessionFacts): ReplySubject {
  return { name: clientNameAddress(facts), class: 'Client host' };
}

/** The subject of a stage's generic rules (reject, defer, reject_unauth_pipelining, access-table actions). */
export function stageSubject(stage: Stage, facts: SessionFacts): ReplySubject {
  switch (stage) {
    case 'client':
      return clientSubject(facts);
    case 'helo':
      return { name: facts.helo ?? '', class: 'Helo command' };
    case 'sender':
      return { name: facts.sender ?? '', class: 'Sender address' };
    case 'relay':
    case 'recipient':
      return { name: facts.recipient ?? '', class: 'Recipient address' };
    case 'data':
      return { name: 'DATA', class: 'Data command' };
    case 'end_of_data':
      return { name: 'END-OF-MESSAGE', class: 'End-of-data' };
  }
}

/** `<name>: class rejected: detail`, the shape of most Postfix restriction replies. */
export function rejectedText(subject: ReplySubject, detail: string): string {
  return `<${subject.name}>: ${subject.class} rejected: ${detail}`;
}

/**
 * A reject whose enhanced code agrees with the reply code: RFC 3463 §3.1 ties
 * the class digit to the reply's first digit, so Postfix rewrites it, and so do we.
 */
export function rejectWith(code: number, enhanced: string, text: string): RuleResult {
  return { action: 'reject', code, enhanced: `${String(code).charAt(0)}${enhanced.slice(1)}`, text };
}
