export { MimeStructureScanner, scanMimeStructure, type MimeLimits, type MimeLimitExceeded } from './structure-scanner.js';
export { parseContentType } from './content-type.js';
