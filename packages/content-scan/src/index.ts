export { createContentScanner } from './scanner.js';
export type { ContentScanner, ScanFacts, ScanResult } from './types.js';
