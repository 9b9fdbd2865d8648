// Outlook's POX Autodiscover ([MS-OXDSCLI]): the request names an address, the response lists IMAP, POP3 and SMTP.
import type { MailEndpoint, Protocol } from './mail-servers.js';
import { HttpError } from './request.js';
import { element } from './xml.js';

export const AUTODISCOVER_RESPONSE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a';
const ENVELOPE_SCHEMA = 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006';

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The `<EMailAddress>` of a POX request (any namespace prefix), with XML's predefined entities decoded; 400 without one. */
export function requestedAddress(body: string): string {
  const match = /<(?:[\w.-]+:)?EMailAddress\s*>([^<]{1,320})<\/(?:[\w.-]+:)?EMailAddress\s*>/.exec(body);
  if (!match) throw new HttpError(400, 'the Autodiscover request has no EMailAddress');
  return match[1]!.trim().replace(/&(amp|lt|gt|quot|apos);/g, (_all, name: string) => PREDEFINED[name]!);
}

const TYPE: Record<Protocol, string> = { imap: 'IMAP', pop3: 'POP3', smtp: 'SMTP' };

function protocol(endpoint: MailEndpoint, address: string): string {
  const tls = endpoint.socketType !== 'plain';
  return [
    '      <Protocol>',
    `        ${element('Type', TYPE[endpoint.protocol])}`,
    `        ${element('Server', endpoint.hostname)}`,
    `        ${element('Port', endpoint.port)}`,
    `        ${element('DomainRequired', 'off')}`,
    `        ${element('LoginName', address)}`,
    `        ${element('SPA', 'off')}`,
    `        ${element('SSL', tls ? 'on' : 'off')}`,
    // Encryption (it overrides SSL): "SSL" is implicit TLS, "TLS" is STARTTLS.
    `        ${element('Encryption', endpoint.socketType === 'SSL' ? 'SSL' : endpoint.socketType === 'STARTTLS' ? 'TLS' : 'None')}`,
    `        ${element('AuthRequired', 'on')}`,
    ...(endpoint.protocol === 'smtp' ? [`        ${element('UsePOPAuth', 'off')}`, `        ${element('SMTPLast', 'off')}`] : []),
    '      </Protocol>',
  ].join('\n');
}

/** The POX response for `address`: the preferred endpoint of each protocol (Outlook takes one Protocol per Type). */
export function autodiscoverXml(address: string, endpoints: readonly MailEndpoint[]): string {
  const preferred = (['imap', 'pop3', 'smtp'] as const).flatMap((kind) => endpoints.filter((endpoint) => endpoint.protocol === kind).slice(0, 1));
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<Autodiscover xmlns="${ENVELOPE_SCHEMA}">`,
    `  <Response xmlns="${AUTODISCOVER_RESPONSE_SCHEMA}">`,
    '    <Account>',
    `      ${element('AccountType', 'email')}`,
    `      ${element('Action', 'settings')}`,
    ...preferred.map((endpoint) => protocol(endpoint, address)),
    '    </Account>',
    '  </Response>',
    '</Autodiscover>',
    '',
  ].join('\n');
}
