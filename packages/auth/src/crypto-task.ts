import type { PasswordScheme } from './schemes.js';

/** What the main thread asks a password worker to do. */
export type CryptoTask = { kind: 'verify'; plain: string; stored: string } | { kind: 'hash'; plain: string; scheme: PasswordScheme };

export type CryptoReply = { ok: true; value: string | boolean } | { ok: false; error: string };
