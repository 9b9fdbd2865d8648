import cluster from 'node:cluster';
import { lstat, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import type { ListenAddress } from '@postern/config';

/** `127.0.0.1:25`, `[::1]:143` or `unix:/run/postern/lmtp`, as logs and service descriptions show an address. */
export function describeAddress(address: ListenAddress): string {
  return address.kind === 'unix' ? `unix:${address.path}` : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

/** True when something accepts connections on the unix socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Removes a socket file left by a process that died without closing it (bind
 * fails with EADDRINUSE otherwise). A socket another process still serves,
 * or a file that is not a socket, is never removed.
 */
export async function removeStaleSocket(path: string, service: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stats.isSocket()) throw new Error(`listen.${service}: ${path} exists and is not a socket (remove it or choose another path)`);
  if (await socketAnswers(path)) throw new Error(`listen.${service}: another process is listening on ${path} (stop it first)`);
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/**
 * Binds `server` to a TCP address or a unix socket (replacing a stale socket
 * file first) for the `[listen]` key `service`; a bind error names both.
 * Resolves with the address bound, with the port the system chose for port 0.
 */
export async function listenOn(server: Server, address: ListenAddress, service: string): Promise<ListenAddress> {
  // A worker of a multi-process mailstore binds through its primary (node:cluster), which shares one
  // socket among the workers and has removed a stale file before forking: the file may be in use by a sibling.
  if (address.kind === 'unix' && !cluster.isWorker) await removeStaleSocket(address.path, service);
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void => reject(new Error(`listen.${service}: cannot listen on ${describeAddress(address)}: ${err.message}`, { cause: err }));
    server.once('error', fail);
    const listening = (): void => {
      server.off('error', fail);
      resolve();
    };
    if (address.kind === 'unix') server.listen({ path: address.path }, listening);
    else server.listen({ host: address.host, port: address.port }, listening);
  });
  const bound = server.address();
  return address.kind === 'tcp' && bound !== null && typeof bound === 'object' ? { ...address, port: bound.port } : address;
}
