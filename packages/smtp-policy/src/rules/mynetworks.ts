import { mynetworksMatcher } from '@postern/config';
import { DUNNO, PERMIT } from '../reply.js';
import { defineRule } from './define.js';

/** permit_mynetworks: the client address is in smtpd.mynetworks. */
export const permitMynetworks = defineRule('permit_mynetworks', (config) => {
  const trusted = mynetworksMatcher(config.smtpd.mynetworks);
  return ({ facts }) => (trusted(facts.clientAddress) ? PERMIT : DUNNO);
});
