import { DUNNO, rejectWith } from '../reply.js';
import { defineRule } from './define.js';

/** reject_unknown_client_hostname: no PTR, or the PTR name does not lead back to the address (RFC 7372 §3.3: 4.7.25). */
export const rejectUnknownClientHostname = defineRule('reject_unknown_client_hostname', (config) => ({ facts }) =>
  facts.clientHostname === null
    ? rejectWith(config.smtpd.unknown_client_reject_code, '4.7.25', `Client host rejected: cannot find your hostname, [${facts.clientAddress}]`)
    : DUNNO,
);

/** reject_unknown_reverse_client_hostname: the address has no PTR name at all. */
export const rejectUnknownReverseClientHostname = defineRule('reject_unknown_reverse_client_hostname', (config) => ({ facts }) =>
  facts.reverseClientHostname === null
    ? rejectWith(config.smtpd.unknown_client_reject_code, '4.7.1', `Client host rejected: cannot find your reverse hostname, [${facts.clientAddress}]`)
    : DUNNO,
);
