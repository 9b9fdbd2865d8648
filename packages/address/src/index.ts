export * from './address.js';
export * from './date.js';
