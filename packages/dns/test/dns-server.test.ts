import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startDnsServer, startSilentDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';

// The test server is checked with node:dns directly, so a fault in createResolver cannot hide one here.
function nodeResolver(server: { address: string }, timeout = 1000): Resolver {
  const resolver = new Resolver({ timeout, tries: 1 });
  resolver.setServers([server.address]);
  return resolver;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { code: string }).code;
  }
  assert.fail('expected the lookup to fail');
}

describe('startDnsServer', () => {
  let server: DnsTestServer;
  let resolver: Resolver;

  before(async () => {
    server = await startDnsServer({
      'mail.example.test': { A: ['192.0.2.10'], AAAA: ['2001:db8::10'] },
      'Example.TEST': { MX: [{ exchange: 'mail.example.test', priority: 10 }], TXT: ['v=spf1 -all', ['part one ', 'part two']] },
      '10.2.0.192.in-addr.arpa': { PTR: ['mail.example.test'] },
      'broken.test': { SERVFAIL: true },
      'nullmx.test': { MX: [{ exchange: '.', priority: 0 }] },
    });
    resolver = nodeResolver(server);
  });
  after(() => server.stop());

  test('listens on 127.0.0.1 and says where', () => {
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(server.address, `127.0.0.1:${server.port}`);
  });

  test('answers A, AAAA, MX, TXT and PTR from the zone, names case-insensitively', async () => {
    assert.deepEqual(await resolver.resolve4('MAIL.example.test'), ['192.0.2.10']);
    assert.deepEqual(await resolver.resolve6('mail.example.test'), ['2001:db8::10']);
    assert.deepEqual(await resolver.resolveMx('example.test'), [{ exchange: 'mail.example.test', priority: 10 }]);
    assert.deepEqual(await resolver.resolveTxt('example.test'), [['v=spf1 -all'], ['part one ', 'part two']]);
    assert.deepEqual(await resolver.resolvePtr('10.2.0.192.in-addr.arpa'), ['mail.example.test']);
  });

  test('answers NXDOMAIN for a name not in the zone', async () => {
    assert.equal(await codeOf(resolver.resolve4('nowhere.test')), 'ENOTFOUND');
  });

  test('answers NODATA for a known name without that record type', async () => {
    assert.equal(await codeOf(resolver.resolveMx('mail.example.test')), 'ENODATA');
  });

  test('answers SERVFAIL for a name marked SERVFAIL', async () => {
    assert.equal(await codeOf(resolver.resolve4('broken.test')), 'ESERVFAIL');
  });

  test('serves a null MX (RFC 7505) as the root name', async () => {
    assert.deepEqual(await resolver.resolveMx('nullmx.test'), [{ exchange: '', priority: 0 }]);
  });

  test('cuts a TXT record over 255 octets into character-strings and serves it over TCP when UDP truncates', async () => {
    const long = `v=DKIM1; k=rsa; p=${'A'.repeat(700)}`;
    server.set({ 'big.test': { TXT: [long] } });
    const [record] = await resolver.resolveTxt('big.test');
    assert.ok(record);
    assert.ok(record.length >= 3 && record.every((chunk) => Buffer.byteLength(chunk) <= 255));
    assert.equal(record.join(''), long);
    assert.ok(server.queries.some((query) => query.name === 'big.test' && query.transport === 'tcp'), 'the client retried over TCP');
  });

  test('set() swaps the zone for the next query and count() tallies queries per name and type', async () => {
    server.set({ 'swap.test': { A: ['192.0.2.1'] } });
    const before = server.count('swap.test', 'A');
    assert.deepEqual(await resolver.resolve4('swap.test'), ['192.0.2.1']);
    server.set({ 'swap.test': { A: ['192.0.2.2'] } });
    assert.deepEqual(await resolver.resolve4('swap.test'), ['192.0.2.2']);
    assert.equal(server.count('SWAP.test.', 'a'), before + 2);
    assert.equal(await codeOf(resolver.resolve4('mail.example.test')), 'ENOTFOUND');
  });

  test('never answers a name marked TIMEOUT', async () => {
    server.set({ 'slow.test': { TIMEOUT: true } });
    const started = Date.now();
    assert.equal(await codeOf(nodeResolver(server, 300).resolve4('slow.test')), 'ETIMEOUT');
    assert.ok(Date.now() - started < 3000);
  });

  test('rejects a zone it could not encode when it is set', () => {
    assert.throws(() => server.set({ 'bad.test': { A: ['not-an-ip'] } }), /A not-an-ip is not an IPv4 address/);
    assert.throws(() => server.set({ 'bad.test': { TXT: [['x'.repeat(256)]] } }), /longer than 255 octets/);
  });
});

/** A length-prefixed TXT query for big.test (RFC 1035 §4.2.2), built by hand to drive TCP directly. */
function tcpTxtQuery(id: number): Buffer {
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const question = Buffer.from([3, ...Buffer.from('big'), 4, ...Buffer.from('test'), 0, 0, 16, 0, 1]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(header.length + question.length);
  return Buffer.concat([length, header, question]);
}

describe('startDnsServer over TCP', () => {
  test('answers several queries on one connection and keeps it open', async () => {
    const server = await startDnsServer({ 'big.test': { TXT: ['x'.repeat(600)] } });
    const socket = new Socket();
    try {
      const ids: number[] = [];
      let buffered = Buffer.alloc(0);
      socket.on('data', (data: Buffer) => {
        buffered = Buffer.concat([buffered, data]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          ids.push(buffered.readUInt16BE(2));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        }
      });
      await new Promise<void>((resolve) => socket.connect(server.port, '127.0.0.1', resolve));
      socket.write(tcpTxtQuery(1));
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.write(tcpTxtQuery(2));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(ids, [1, 2]);
      assert.equal(socket.destroyed, false);
      assert.equal(server.count('big.test', 'TXT'), 2);
    } finally {
      socket.destroy();
      await server.stop();
    }
  });
});

describe('startDnsServer stop()', () => {
  test('frees the port, even with a TCP connection open', async () => {
    const server = await startDnsServer({ 'big.test': { TXT: ['x'.repeat(600)] } });
    await nodeResolver(server).resolveTxt('big.test');
    const started = Date.now();
    await server.stop();
    assert.ok(Date.now() - started < 2000, 'stop() did not wait for the idle TCP timeout');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(server.port, '127.0.0.1', () => resolve());
    });
    socket.close();
  });
});

describe('startSilentDnsServer', () => {
  test('receives queries and answers none', async () => {
    const silent = await startSilentDnsServer();
    try {
      assert.equal(await codeOf(nodeResolver(silent, 200).resolve4('example.test')), 'ETIMEOUT');
      assert.ok(silent.received() >= 1);
    } finally {
      await silent.stop();
    }
  });
});
