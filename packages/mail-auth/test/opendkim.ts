// Runs OpenDKIM's opendkim-testmsg against the test DNS server. libopendkim asks the
// resolvers in /etc/resolv.conf on port 53 only, so the tool runs in its own mount
// namespace with a resolv.conf naming a relay on 127.53.x.y:53 that forwards to our server.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, type ToolResult } from '../../../test/support/tools.js';

export interface Port53Relay {
  address: string;
  stop(): Promise<void>;
}

/** A UDP relay on a free 127.53.x.y:53 that passes each query to 127.0.0.1:upstreamPort and the answer back. */
export async function startPort53Relay(upstreamPort: number): Promise<Port53Relay> {
  for (let attempt = 0; ; attempt++) {
    const address = `127.53.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
    const socket = createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(53, address, () => resolve());
      });
    } catch (error) {
      socket.close();
      if (attempt >= 10) throw error;
      continue;
    }
    const upstreams = new Set<Socket>();
    socket.on('message', (query, client) => {
      const upstream = createSocket('udp4');
      upstreams.add(upstream);
      const done = () => {
        upstreams.delete(upstream);
        upstream.close();
      };
      upstream.once('message', (answer) => {
        socket.send(answer, client.port, client.address);
        done();
      });
      upstream.once('error', done);
      upstream.send(query, upstreamPort, '127.0.0.1');
    });
    return {
      address,
      async stop() {
        for (const upstream of upstreams) upstream.close();
        await new Promise<void>((resolve) => socket.close(() => resolve()));
      },
    };
  }
}

/**
 * Verifies `message` with opendkim-testmsg (no -d/-k/-s: verify mode), its
 * DNS through `nameserver`. Exit 0 and no output: the signature verified;
 * otherwise stderr says why (e.g. "dkim_eom(): Bad signature", exit 70).
 */
export async function opendkimTestmsg(tools: { unshare: string; testmsg: string }, message: Buffer, nameserver: string): Promise<ToolResult> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-opendkim-'));
  try {
    const resolvConf = join(dir, 'resolv.conf');
    writeFileSync(resolvConf, `nameserver ${nameserver}\noptions attempts:1 timeout:2\n`);
    // The bind mount lives in the new (private) mount namespace only; the host's resolv.conf is untouched.
    const script = 'mount --bind "$1" /etc/resolv.conf && exec "$2" -t "$3"';
    return await runTool(tools.unshare, ['--mount', 'sh', '-c', script, 'opendkim', resolvConf, tools.testmsg, dir], {
      input: message.toString('utf8'), // runTool writes text; the test messages are UTF-8
      timeoutMs: 30_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
