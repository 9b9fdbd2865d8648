import type { SessionFacts, Stage } from '../types.js';

/**
 * SMTPD_POLICY_README "Protocol description": the protocol_state is the
 * SMTP command being checked. With smtpd_delay_reject the client, helo and
 * sender lists run at RCPT, and Postfix then says RCPT too.
 */
function protocolState(stage: Stage, facts: SessionFacts): string {
  if (stage === 'data') return 'DATA';
  if (stage === 'end_of_data') return 'END-OF-MESSAGE';
  if (facts.recipient !== null) return 'RCPT';
  if (stage === 'sender' || stage === 'relay' || stage === 'recipient') return 'MAIL';
  if (stage === 'helo') return facts.session?.protocolName === 'SMTP' ? 'HELO' : 'EHLO';
  return 'CONNECT';
}

/** A value on one line: the protocol has no quoting, so line breaks become spaces (Postfix prints its values as they are). */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/**
 * The request for one check, in the order and with the names of
 * SMTPD_POLICY_README (Postfix 3.x): `name=value` lines; an attribute Postern
 * does not know (client certificates, ETRN, stress) is sent empty, as Postfix
 * does for what it does not have.
 */
export function policyRequest(stage: Stage, facts: SessionFacts, instance: string): string {
  const session = facts.session;
  const attributes: Array<[string, string | number | null | undefined]> = [
    ['request', 'smtpd_access_policy'],
    ['protocol_state', protocolState(stage, facts)],
    ['protocol_name', session?.protocolName ?? 'ESMTP'],
    ['helo_name', facts.helo],
    ['queue_id', session?.queueId],
    ['sender', facts.sender],
    ['recipient', facts.recipient],
    ['recipient_count', facts.recipientCount],
    ['client_address', facts.clientAddress],
    ['client_name', facts.clientHostname ?? 'unknown'],
    ['reverse_client_name', facts.reverseClientHostname ?? 'unknown'],
    ['instance', instance],
    ['sasl_method', facts.saslUsername === null ? '' : session?.saslMethod],
    ['sasl_username', facts.saslUsername],
    ['sasl_sender', ''],
    ['size', session?.size ?? 0],
    ['ccert_subject', ''],
    ['ccert_issuer', ''],
    ['ccert_fingerprint', ''],
    ['ccert_pubkey_fingerprint', ''],
    ['encryption_protocol', session?.tlsProtocol],
    ['encryption_cipher', session?.tlsCipher],
    ['encryption_keysize', ''],
    ['etrn_domain', ''],
    ['stress', ''],
    ['client_port', session?.clientPort],
    ['policy_context', ''],
    ['server_address', session?.serverAddress],
    ['server_port', session?.serverPort],
  ];
  return `${attributes.map(([name, value]) => `${name}=${oneLine(value === null || value === undefined ? '' : String(value))}\n`).join('')}\n`;
}
