import { PERMIT, rejectWith, rejectedText, stageSubject } from '../reply.js';
import { defineRule } from './define.js';

/** permit: accept this list's request; the next stage's list still runs. */
export const permit = defineRule('permit', () => () => PERMIT);

/** reject: $reject_code 5.7.1 "Access denied" about the stage's subject. */
export const reject = defineRule('reject', (config) => ({ stage, facts }) =>
  rejectWith(config.smtpd.reject_code, '5.7.1', rejectedText(stageSubject(stage, facts), 'Access denied')),
);

/** defer: Postfix's defer_code (450) 4.3.2 "Try again later". */
export const defer = defineRule('defer', () => ({ stage, facts }) =>
  rejectWith(450, '4.3.2', rejectedText(stageSubject(stage, facts), 'Try again later')),
);
