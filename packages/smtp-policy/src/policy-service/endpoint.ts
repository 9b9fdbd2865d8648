import { isIP } from 'node:net';

/** Where a policy service listens: Postfix's `inet:host:port` or `unix:/path`. */
export type PolicyEndpoint = { kind: 'inet'; host: string; port: number } | { kind: 'unix'; path: string };

/** Parses a check_policy_service argument; throws a one-line reason when it is not one. */
export function parsePolicyEndpoint(spec: string): PolicyEndpoint {
  if (spec.startsWith('unix:')) {
    const path = spec.slice('unix:'.length);
    // Postfix reads a relative unix: name under its queue directory (private/policy); Postern has none, so the path must be absolute.
    if (!path.startsWith('/')) throw new Error(`"${spec}": write unix:/absolute/path/to/socket`);
    return { kind: 'unix', path };
  }
  if (spec.startsWith('inet:')) {
    const rest = spec.slice('inet:'.length);
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(rest);
    const host = match?.[1] ?? match?.[2];
    const port = Number(match?.[3]);
    if (host === undefined || !(port > 0 && port < 65536) || (match?.[1] !== undefined && isIP(host) !== 6)) {
      throw new Error(`"${spec}": write inet:host:port, e.g. inet:127.0.0.1:10023 or inet:[::1]:10023`);
    }
    return { kind: 'inet', host, port };
  }
  throw new Error(`"${spec}": a policy service is inet:host:port or unix:/path`);
}

export function describeEndpoint(endpoint: PolicyEndpoint): string {
  return endpoint.kind === 'unix' ? `unix:${endpoint.path}` : `inet:${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
}
