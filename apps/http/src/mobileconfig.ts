// An Apple configuration profile (unsigned) with one com.apple.mail.managed payload for an address.
import { createHash } from 'node:crypto';
import type { MailEndpoint } from './mail-servers.js';
import { element } from './xml.js';

export const MOBILECONFIG_CONTENT_TYPE = 'application/x-apple-aspen-config';

/** The same UUID for the same input, so a profile downloaded again replaces the installed one. */
function stableUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\0')).digest('hex');
  // RFC 9562 §5.8 layout: version 8, variant 10.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toUpperCase();
}

const key = (name: string): string => element('key', name);
const string = (value: string): string => element('string', value);
const integer = (value: number): string => element('integer', value);
const bool = (value: boolean): string => (value ? '<true/>' : '<false/>');

/** The profile for `address`, or null when there is no incoming or no outgoing server to configure. */
export function mobileconfigXml(address: string, hostname: string, endpoints: readonly MailEndpoint[]): string | null {
  // Apple Mail speaks IMAP or POP; IMAP first, then the preferred (implicit TLS) endpoint of each.
  const incoming = endpoints.find((endpoint) => endpoint.protocol === 'imap') ?? endpoints.find((endpoint) => endpoint.protocol === 'pop3');
  const outgoing = endpoints.find((endpoint) => endpoint.protocol === 'smtp');
  if (!incoming || !outgoing) return null;
  const identifier = hostname.split('.').reverse().join('.');
  const payload = [
    key('EmailAccountDescription'), string(address),
    key('EmailAccountType'), string(incoming.protocol === 'imap' ? 'EmailTypeIMAP' : 'EmailTypePOP'),
    key('EmailAddress'), string(address),
    key('IncomingMailServerAuthentication'), string('EmailAuthPassword'),
    key('IncomingMailServerHostName'), string(incoming.hostname),
    key('IncomingMailServerPortNumber'), integer(incoming.port),
    key('IncomingMailServerUseSSL'), bool(incoming.socketType !== 'plain'),
    key('IncomingMailServerUsername'), string(address),
    key('OutgoingMailServerAuthentication'), string('EmailAuthPassword'),
    key('OutgoingMailServerHostName'), string(outgoing.hostname),
    key('OutgoingMailServerPortNumber'), integer(outgoing.port),
    key('OutgoingMailServerUseSSL'), bool(outgoing.socketType !== 'plain'),
    key('OutgoingMailServerUsername'), string(address),
    key('OutgoingPasswordSameAsIncomingPassword'), bool(true),
    key('PayloadDescription'), string(`Mail account ${address}`),
    key('PayloadDisplayName'), string(address),
    key('PayloadIdentifier'), string(`${identifier}.mail.${stableUuid('payload', address)}`),
    key('PayloadType'), string('com.apple.mail.managed'),
    key('PayloadUUID'), string(stableUuid('payload', hostname, address)),
    key('PayloadVersion'), integer(1),
  ];
  const profile = [
    key('PayloadContent'), `<array>\n<dict>\n${payload.join('\n')}\n</dict>\n</array>`,
    key('PayloadDescription'), string(`Mail settings for ${address} on ${hostname}`),
    key('PayloadDisplayName'), string(`Mail: ${address}`),
    key('PayloadIdentifier'), string(`${identifier}.profile.${stableUuid('profile', address)}`),
    key('PayloadRemovalDisallowed'), bool(false),
    key('PayloadType'), string('Configuration'),
    key('PayloadUUID'), string(stableUuid('profile', hostname, address)),
    key('PayloadVersion'), integer(1),
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    ...profile,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
