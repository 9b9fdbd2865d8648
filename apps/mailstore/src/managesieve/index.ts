import type { StartService } from '../service.js';
import { listenManageSieve } from './server.js';

/** ManageSieve (RFC 5804): users manage their Sieve scripts; STARTTLS and AUTHENTICATE PLAIN. */
export const startManageSieve: StartService = (ctx, address, options) => listenManageSieve(ctx, address, options);

export { listenManageSieve, type ManageSieveServerOptions } from './server.js';
export { CommandReader, type LineEvent, type SieveArg } from './parser.js';
