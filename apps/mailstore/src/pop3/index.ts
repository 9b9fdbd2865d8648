import type { StartService } from '../service.js';
import { listenPop3 } from './server.js';

/** POP3 (RFC 1939) with CAPA (RFC 2449), STLS (RFC 2595) and AUTH PLAIN (RFC 5034) over the user's INBOX. */
export const startPop3: StartService = (ctx, address, options) => listenPop3(ctx, address, options);

export { listenPop3, type Pop3ServerOptions } from './server.js';
