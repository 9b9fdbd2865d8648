// An HTTPS host serving MTA-STS policies (RFC 8461 §3.3) for tests: one listener, the policy chosen by the Host header.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

/** What the host answers for one mta-sts.<domain>: a policy body (200 text/plain), or a raw response. */
export type PolicyAnswer = string | { status: number; headers?: Record<string, string>; body?: string };

export interface MtaStsHost {
  host: string;
  port: number;
  /** Answers by host name ("mta-sts.example.test"); a name not here gets 404. Tests may change it. */
  answers: Map<string, PolicyAnswer>;
  /** Requests received, per host name. */
  count(name: string): number;
  stop(): Promise<void>;
}

export async function startMtaStsHost(options: { host: string; port: number; key: string; cert: string }): Promise<MtaStsHost> {
  const answers = new Map<string, PolicyAnswer>();
  const counts = new Map<string, number>();
  const server: Server = createServer({ key: options.key, cert: options.cert }, (request, response) => {
    const name = String(request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
    const answer = request.url === '/.well-known/mta-sts.txt' ? answers.get(name) : undefined;
    if (answer === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    } else if (typeof answer === 'string') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(answer);
    } else {
      response.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    host: options.host,
    port: (server.address() as AddressInfo).port,
    answers,
    count: (name) => counts.get(name.toLowerCase()) ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
