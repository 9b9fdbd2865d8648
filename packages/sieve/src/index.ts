export * from './types.js';
export { compileSieve, SIEVE_CAPABILITIES } from './compile.js';
export { runSieve } from './run.js';
export { SPAM_TO_JUNK_SCRIPT } from './scripts.js';
