// SPEC §4: every lookup goes through Postern's one resolver. The mailstore needs no client names, so
// neither smtp-server (LMTP) nor imap-core may ask the system resolver for them.
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import dns from 'node:dns';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Store } from '@postern/store';
import { startImap } from '../src/imap/index.js';
import { startLmtp } from '../src/lmtp/index.js';
import { startPop3 } from '../src/pop3/index.js';
import { runService, startBackend, testConfig, type Backend, type RunningService } from './fixture.js';

// Not in /etc/hosts, so a reverse lookup of it goes out to the DNS servers.
const CLIENT_ADDRESS = '127.0.0.3';

/** A DNS server for this process's system resolver: counts the queries and answers each NXDOMAIN. */
async function countingDnsServer(): Promise<{ address: string; queries(): number; stop(): Promise<void> }> {
  const socket: UdpSocket = createSocket('udp4');
  let queries = 0;
  socket.on('message', (query, from) => {
    queries++;
    // RFC 1035 §4.1.1: the query itself, with QR set and RCODE 3 (name error), is a complete answer.
    const answer = Buffer.from(query);
    answer[2] = answer[2]! | 0x80;
    answer[3] = (answer[3]! & 0xf0) | 3;
    socket.send(answer, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    queries: () => queries,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Connects from CLIENT_ADDRESS and resolves with the server's greeting (one write of the server's). */
async function greeting(port: number): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: CLIENT_ADDRESS });
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return chunk.toString('utf8');
}

describe('client names', () => {
  let backend: Backend;
  let store: Store;
  let probe: Awaited<ReturnType<typeof countingDnsServer>>;
  let systemServers: string[];
  let services: RunningService[] = [];

  before(async () => {
    backend = await startBackend('sqlite');
    store = await backend.open();
    probe = await countingDnsServer();
    systemServers = dns.getServers();
    dns.setServers([probe.address]);
    services = await Promise.all([startLmtp, startImap, startPop3].map((start) => runService(start, store, testConfig())));
  });

  after(async () => {
    await Promise.all(services.map((running) => running.service.close()));
    dns.setServers(systemServers);
    await probe?.stop();
    await store?.close();
    await backend?.stop();
  });

  test('a reverse lookup through the system resolver reaches the counting DNS server', async () => {
    const before = probe.queries();
    await new Promise<void>((resolve) => dns.reverse(CLIENT_ADDRESS, () => resolve()));
    assert.ok(probe.queries() > before);
  });

  test('LMTP, IMAP and POP3 greet at once and never ask the system resolver for the client name', async () => {
    const before = probe.queries();
    const [lmtp, imap, pop3] = services;
    assert.match(await greeting(lmtp!.port), /^220 /);
    assert.match(await greeting(imap!.port), new RegExp(`^\\* OK Postern ready for requests from ${CLIENT_ADDRESS.replaceAll('.', '\\.')} `));
    assert.match(await greeting(pop3!.port), /^\+OK /);
    assert.equal(probe.queries(), before);
  });
});
