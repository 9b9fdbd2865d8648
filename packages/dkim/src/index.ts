export { datedSelector, dkimKeyFromPem, generateDkimKey, type DkimAlgorithm, type GeneratedDkimKey } from './keys.js';
export { dkimTxtRecord, zoneTxt } from './records.js';
