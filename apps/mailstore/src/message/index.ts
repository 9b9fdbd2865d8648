export { headerLength, parseHeaderFields, summarizeHeaders } from './headers.js';
export { prepareMessage } from './prepare.js';
