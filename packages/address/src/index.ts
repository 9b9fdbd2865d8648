export * from './address.js';
export * from './date.js';
export * from './address-list.js';
export * from './message-id.js';
export * from './srs.js';
