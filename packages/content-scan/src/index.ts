export { createContentScanner } from './scanner.js';
export type { ContentScanner, ScanFacts, ScanMessage, ScanResult } from './types.js';
