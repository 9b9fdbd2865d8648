// One HTTP(S) listener over a route table, with the bounds a server facing the Internet needs.
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { ListenAddress } from '@postern/config';
import type { Logger } from '@postern/log';
import { describeAddress, listenOn, type TlsProvider } from '@postern/service';
import { type Reply, type Routes, text } from './reply.js';
import { HttpError } from './request.js';

export interface HttpListener {
  /** e.g. `http on 127.0.0.1:80`. */
  readonly description: string;
  readonly address: ListenAddress;
  close(): Promise<void>;
}

export interface ListenerOptions {
  /** `[listen]` key: http, https or metrics. */
  service: string;
  routes: Routes;
  logger: Logger;
  /** HTTPS: contexts from the provider that serves the mail ports. */
  tls?: TlsProvider;
  maxConnections: number;
}

const BOUNDS: ServerOptions = {
  // RFC 9110 §15.5.20 / RFC 6585 §5: a larger header block gets 431.
  maxHeaderSize: 8 * 1024,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
};
const MAX_REQUESTS_PER_SOCKET = 100;
/** Open requests on shutdown get this long before their sockets are cut. */
const CLOSE_GRACE_MS = 2_000;

/** The answer to a request node:http could not parse (it has no response object): 431, 408 or 400. */
function clientErrorResponse(code: string | undefined): string {
  const [status, reason] = code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  return `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

async function answer(routes: Routes, req: IncomingMessage): Promise<Reply> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return text(400, 'bad request target');
  }
  const route = routes.get(url.pathname.toLowerCase());
  if (!route) return text(404, 'not found');
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  if (!route.methods.some((allowed) => allowed === method)) {
    // RFC 9110 §15.5.6: 405 carries Allow.
    const allow = route.methods.flatMap((allowed) => (allowed === 'GET' ? ['GET', 'HEAD'] : [allowed])).join(', ');
    return { ...text(405, 'method not allowed'), headers: { allow } };
  }
  try {
    return await route.handle(req, url);
  } catch (err) {
    if (err instanceof HttpError) return { ...text(err.status, err.message), headers: err.headers };
    throw err;
  }
}

function write(res: ServerResponse, req: IncomingMessage, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, {
    'content-type': reply.contentType ?? 'text/plain; charset=utf-8',
    'content-length': body.length,
    'x-content-type-options': 'nosniff',
    ...reply.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Starts one listener of `options.service` on `address`. */
export async function listenHttp(address: ListenAddress, options: ListenerOptions): Promise<HttpListener> {
  const { logger, routes, service, tls } = options;
  const log = logger.child({ protocol: service });
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    const client = req.socket.remoteAddress ?? 'unix';
    const request = randomBytes(6).toString('hex');
    req.on('error', (err) => log.info({ event: 'request_error', request, client, err: err.message }, `${service} request from ${client}: ${err.message}`));
    answer(routes, req)
      .catch((err: unknown) => {
        log.error({ event: 'error', request, client, err }, `${service} ${req.method} ${req.url}: ${String(err)}`);
        return text(500, 'internal error');
      })
      .then((reply) => {
        write(res, req, reply);
        // The path only: a query may carry an address.
        const path = (req.url ?? '').split('?')[0]!.slice(0, 200);
        log.info({ event: 'request', request, client, method: req.method, path, host: req.headers.host?.slice(0, 200), status: reply.status, ms: Date.now() - started }, `${service} ${req.method} ${path} ${reply.status}`);
      })
      .catch((err: unknown) => res.destroy(err as Error));
  };
  const server: Server = tls ? createHttpsServer({ ...BOUNDS, ...tls.serverOptions() }, handler) : createHttpServer(BOUNDS, handler);
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
  server.maxConnections = options.maxConnections;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    log.info({ event: 'client_error', client: socket.remoteAddress, code: err.code, err: err.message }, `${service} bad request from ${socket.remoteAddress}: ${err.code ?? err.message}`);
    if (socket.writable && !(socket as Socket & { _httpMessage?: unknown })._httpMessage) socket.end(clientErrorResponse(err.code));
    else socket.destroy();
  });
  // A TLS handshake that fails is the client's problem: logged, never thrown.
  server.on('tlsClientError', (err: Error, socket: Socket) => log.info({ event: 'tls_error', client: socket.remoteAddress, err: err.message }, `${service} TLS handshake from ${socket.remoteAddress}: ${err.message}`));
  const stopUpdating = tls?.onChange(() => {
    const { key, cert, minVersion } = tls.serverOptions();
    (server as unknown as { setSecureContext(options: object): void }).setSecureContext({ key, cert, minVersion });
  });
  const bound = await listenOn(server, address, service);
  server.on('error', (err) => log.error({ event: 'error', err }, `${service} listener error`));
  return {
    description: `${service} on ${describeAddress(bound)}`,
    address: bound,
    async close() {
      stopUpdating?.();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(timer);
    },
  };
}
