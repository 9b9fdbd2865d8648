export { MimeStructureScanner, scanMimeStructure, type MimeLimits, type MimeLimitExceeded } from './structure-scanner.js';
export { parseContentType } from './content-type.js';
export { headerEnd, headerLength, parseHeaderFields } from './header-fields.js';
export { mimeEntity, multipartParts, type MimeEntity } from './mime-entity.js';
