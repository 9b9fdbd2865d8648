export { headerEnd, headerLength, parseHeaderFields, summarizeHeaders } from './headers.js';
export { mimeEntity, multipartParts, type MimeEntity } from './mime-entity.js';
export { prepareMessage } from './prepare.js';
