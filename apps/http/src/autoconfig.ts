// Thunderbird's autoconfig file, config-v1.1.xml (the format of https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat).
import type { MailEndpoint } from './mail-servers.js';
import { element, escapeXml } from './xml.js';

function server(endpoint: MailEndpoint): string {
  const tag = endpoint.protocol === 'smtp' ? 'outgoingServer' : 'incomingServer';
  return [
    `    <${tag} type="${endpoint.protocol}">`,
    `      ${element('hostname', endpoint.hostname)}`,
    `      ${element('port', endpoint.port)}`,
    `      ${element('socketType', endpoint.socketType)}`,
    // The login is the whole address (Postern's users are addresses).
    `      ${element('username', '%EMAILADDRESS%')}`,
    // The password over the TLS connection: SASL PLAIN / LOGIN.
    `      ${element('authentication', 'password-cleartext')}`,
    `    </${tag}>`,
  ].join('\n');
}

/** One emailProvider for `domains` (the first is its id); incoming servers before outgoing ones, each in the order of `endpoints`. */
export function autoconfigXml(domains: readonly string[], endpoints: readonly MailEndpoint[]): string {
  const incoming = endpoints.filter((endpoint) => endpoint.protocol !== 'smtp');
  const outgoing = endpoints.filter((endpoint) => endpoint.protocol === 'smtp');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${escapeXml(domains[0]!)}">`,
    ...domains.map((domain) => `    ${element('domain', domain)}`),
    `    ${element('displayName', domains[0]!)}`,
    `    ${element('displayShortName', domains[0]!)}`,
    ...incoming.map(server),
    ...outgoing.map(server),
    '  </emailProvider>',
    '</clientConfig>',
    '',
  ].join('\n');
}
