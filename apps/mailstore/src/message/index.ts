// The header and MIME entity readers live in @postern/mime, shared with the Sieve body and header tests.
export { headerEnd, headerLength, mimeEntity, multipartParts, parseHeaderFields, type MimeEntity } from '@postern/mime';
export { summarizeHeaders } from './headers.js';
export { prepareMessage } from './prepare.js';
