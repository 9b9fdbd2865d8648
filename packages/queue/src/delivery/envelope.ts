import type { Capabilities, Envelope, Protocol } from '../smtp-client/index.js';
import type { DeliveryRecipient, DeliveryRequest } from '../types.js';

/** RFC 3461 §4: xtext: "+" and "=", controls, space and non-ASCII octets as "+HH". */
export function xtext(value: string): string {
  let out = '';
  for (const octet of Buffer.from(value, 'utf8')) {
    out += octet >= 0x21 && octet <= 0x7e && octet !== 0x2b && octet !== 0x3d ? String.fromCharCode(octet) : `+${octet.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** MAIL FROM parameters the server advertised a use for. */
export function mailParameters(request: DeliveryRequest, capabilities: Capabilities): string[] {
  const params: string[] = [];
  // RFC 1870 §6: the size up front lets the server refuse before the data.
  if (capabilities.has('SIZE')) params.push(`SIZE=${request.message.size}`);
  // RFC 6152 §3: BODY=8BITMIME only to a server that offers it.
  if (request.eightBit && capabilities.has('8BITMIME')) params.push('BODY=8BITMIME');
  // RFC 6531 §3.4: SMTPUTF8 only when the message needs it (a server without it was refused before).
  if (request.smtputf8 && capabilities.has('SMTPUTF8')) params.push('SMTPUTF8');
  // RFC 3461 §4.3, §4.4: RET and ENVID only to a server that advertises DSN.
  if (capabilities.has('DSN')) {
    if (request.dsn.ret !== null) params.push(`RET=${request.dsn.ret}`);
    if (request.dsn.envid !== null && request.dsn.envid !== '') params.push(`ENVID=${xtext(request.dsn.envid)}`);
  }
  return params;
}

/** RCPT TO parameters: RFC 3461 §4.1 NOTIFY and §4.2 ORCPT, only when DSN is advertised. */
export function rcptParameters(recipient: DeliveryRecipient, capabilities: Capabilities): string[] {
  if (!capabilities.has('DSN')) return [];
  const params: string[] = [];
  if (recipient.notify != null && recipient.notify.length > 0) params.push(`NOTIFY=${recipient.notify.map((word) => word.toUpperCase()).join(',')}`);
  if (recipient.orcpt != null && recipient.orcpt !== '') {
    // "rfc822;bob@example.net": the address type stays as is, the address is xtext.
    const semicolon = recipient.orcpt.indexOf(';');
    const [type, address] = semicolon > 0 ? [recipient.orcpt.slice(0, semicolon), recipient.orcpt.slice(semicolon + 1)] : ['rfc822', recipient.orcpt];
    params.push(`ORCPT=${type};${xtext(address)}`);
  }
  return params;
}

/**
 * Postfix XFORWARD_README: IDENT is the local queue id. Sent over LMTP only, and only to a
 * server whose LHLO lists XFORWARD with IDENT: the mailstore keeps one copy per queue id and
 * mailbox, so a delivery repeated after a crash (the 250 not yet recorded) stores nothing twice.
 */
export function xforwardAttributes(request: DeliveryRequest, capabilities: Capabilities, protocol: Protocol): string[] {
  if (protocol !== 'lmtp' || !capabilities.params('XFORWARD').some((name) => name.toUpperCase() === 'IDENT')) return [];
  return [`IDENT=${xtext(request.queueId)}`];
}

export function envelopeFor(request: DeliveryRequest, capabilities: Capabilities, protocol: Protocol): Envelope {
  return {
    xforward: xforwardAttributes(request, capabilities, protocol),
    from: request.from,
    mailParams: mailParameters(request, capabilities),
    recipients: request.recipients.map((recipient) => ({ address: recipient.address, params: rcptParameters(recipient, capabilities) })),
    message: request.message,
  };
}
