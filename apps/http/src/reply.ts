import type { IncomingMessage } from 'node:http';

/** What a route answers; the server writes it (and only the head for HEAD). */
export interface Reply {
  status: number;
  contentType?: string;
  body: string;
  headers?: Record<string, string>;
}

export interface Route {
  /** GET routes answer HEAD too. */
  methods: readonly ('GET' | 'POST')[];
  handle(req: IncomingMessage, url: URL): Promise<Reply>;
}

/** Exact paths in lower case (a request's path is lower-cased before the lookup: Outlook capitalises) to routes. */
export type Routes = ReadonlyMap<string, Route>;

export const text = (status: number, body: string): Reply => ({ status, contentType: 'text/plain; charset=utf-8', body: body.endsWith('\n') ? body : `${body}\n` });
