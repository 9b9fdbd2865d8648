import { DUNNO, rejectWith, rejectedText, stageSubject } from '../reply.js';
import { defineRule } from './define.js';

/** reject_unauth_pipelining: the client sent commands before it may (RFC 2920 §3.1: only after EHLO advertised PIPELINING, never ahead of the greeting). */
export const rejectUnauthPipelining = defineRule('reject_unauth_pipelining', () => ({ stage, facts }) =>
  facts.pipelinedEarly ? rejectWith(503, '5.5.0', rejectedText(stageSubject(stage, facts), 'Improper use of SMTP command pipelining')) : DUNNO,
);
