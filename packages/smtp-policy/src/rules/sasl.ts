import { DUNNO, PERMIT } from '../reply.js';
import { defineRule } from './define.js';

/** permit_sasl_authenticated: the client logged in with AUTH (RFC 4954). */
export const permitSaslAuthenticated = defineRule('permit_sasl_authenticated', () => ({ facts }) =>
  facts.saslUsername !== null && facts.saslUsername !== '' ? PERMIT : DUNNO,
);
