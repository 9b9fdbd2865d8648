export type * from './types.js';
export type { Store } from './store.js';
export * from './errors.js';
export { newId, blobHash, newUidValidity } from './ids.js';
export { NEW_MAILBOX_MODSEQ } from './modseq.js';
export { normalizeFlags, applyFlagOperation, sameFlags } from './flags.js';
export { addressKey, domainKey, domainOf } from './normalize.js';
export { openStore, type StoreOptions } from './open.js';
export { restoreStore } from './restore.js';
