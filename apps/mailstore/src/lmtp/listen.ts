import { lstat, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import type { ListenAddress } from '@postern/config';

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
export async function removeStaleSocket(path: string): Promise<void> {
  let stats;
  try {
    stats = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stats.isSocket()) throw new Error(`listen.lmtp: ${path} exists and is not a socket (remove it or choose another path)`);
  if (await socketAnswers(path)) throw new Error(`listen.lmtp: another process is listening on ${path} (stop it first)`);
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/** Binds the server to a TCP address or a unix socket; rejects with the bind error. */
export async function listenOn(server: Server, address: ListenAddress): Promise<void> {
  if (address.kind === 'unix') await removeStaleSocket(address.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve();
    };
    if (address.kind === 'unix') server.listen({ path: address.path }, listening);
    else server.listen({ host: address.host, port: address.port }, listening);
  });
}
