// A stand-in for CrowdSec's local API (LAPI) on loopback: it logs a watcher in and keeps the
// alerts the agent pushes, so that a time-machine run (`crowdsec -dsn`) shows which scenario
// fired for which address without a database or a registered machine.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CrowdsecAlert {
  scenario: string;
  source: { ip?: string; value?: string; scope?: string };
  events_count: number;
  events: { meta: { key: string; value: string }[] }[];
}

export interface FakeLapi {
  url: string;
  alerts: CrowdsecAlert[];
  stop(): Promise<void>;
}

export async function startFakeLapi(): Promise<FakeLapi> {
  const alerts: CrowdsecAlert[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      if (request.url?.startsWith('/v1/watchers/login')) {
        response.end(JSON.stringify({ code: 200, expire: new Date(Date.now() + 3_600_000).toISOString(), token: 'header.payload.signature' }));
      } else if (request.url?.startsWith('/v1/alerts') && request.method === 'POST') {
        const pushed = JSON.parse(body) as CrowdsecAlert[];
        alerts.push(...pushed);
        response.end(JSON.stringify(pushed.map((_alert, index) => String(alerts.length - pushed.length + index + 1))));
      } else {
        response.end('[]');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    alerts,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
