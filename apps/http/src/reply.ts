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

/** A table of exact paths (compared case-insensitively when `caseless`) to routes. */
export type Routes = ReadonlyMap<string, Route>;

export const text = (status: number, body: string): Reply => ({ status, contentType: 'text/plain; charset=utf-8', body: body.endsWith('\n') ? body : `${body}\n` });
