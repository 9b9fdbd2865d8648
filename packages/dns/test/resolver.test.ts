import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDnsServer, startSilentDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { createResolver, DnsError, type DnsErrorKind } from '../src/index.js';

async function failure(promise: Promise<unknown>): Promise<DnsError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DnsError, `expected a DnsError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the lookup to fail');
}

async function kindOf(promise: Promise<unknown>): Promise<DnsErrorKind> {
  return (await failure(promise)).kind;
}

/** A UDP port nothing listens on: the kernel answers queries with ICMP port unreachable. */
async function closedUdpAddress(): Promise<string> {
  const silent = await startSilentDnsServer();
  await silent.stop();
  return silent.address;
}

describe('createResolver against a local DNS server', () => {
  let server: DnsTestServer;

  before(async () => {
    server = await startDnsServer({
      'example.test': {
        MX: [
          { exchange: 'mx-b.example.test', priority: 20 },
          { exchange: 'mx-z.example.test', priority: 10 },
          { exchange: 'mx-a.example.test', priority: 20 },
          { exchange: 'mx-c.example.test', priority: 5 },
        ],
        TXT: ['v=spf1 ip4:192.0.2.0/24 -all', ['google-site-verification=', 'abc']],
        A: ['192.0.2.1', '192.0.2.2'],
        AAAA: ['2001:db8::1'],
      },
      'selector._domainkey.example.test': { TXT: [`v=DKIM1; k=rsa; p=${'B'.repeat(600)}`] },
      '1.2.0.192.in-addr.arpa': { PTR: ['mail.example.test'] },
      '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa': { PTR: ['mail6.example.test'] },
      'nullmx.test': { MX: [{ exchange: '.', priority: 0 }] },
      '_submissions._tcp.example.test': { SRV: [{ priority: 0, weight: 1, port: 465, target: 'mail.example.test' }] },
      '_pop3s._tcp.example.test': { SRV: [{ priority: 0, weight: 0, port: 0, target: '.' }] },
      'servfail.test': { SERVFAIL: true },
    });
  });
  after(() => server.stop());

  const resolver = () => createResolver({ servers: [server.address], timeoutMs: 1000, cache: false });

  test('mx() lists exchanges by priority, then by name', async () => {
    assert.deepEqual(await resolver().mx('example.test'), [
      { exchange: 'mx-c.example.test', priority: 5 },
      { exchange: 'mx-z.example.test', priority: 10 },
      { exchange: 'mx-a.example.test', priority: 20 },
      { exchange: 'mx-b.example.test', priority: 20 },
    ]);
  });

  test('mx() returns a null MX as an empty exchange (RFC 7505)', async () => {
    assert.deepEqual(await resolver().mx('nullmx.test'), [{ exchange: '', priority: 0 }]);
  });

  test('a() and aaaa() return the addresses', async () => {
    assert.deepEqual((await resolver().a('example.test')).sort(), ['192.0.2.1', '192.0.2.2']);
    assert.deepEqual(await resolver().aaaa('example.test'), ['2001:db8::1']);
  });

  test('txt() joins each record’s character-strings', async () => {
    assert.deepEqual((await resolver().txt('example.test')).sort(), ['google-site-verification=abc', 'v=spf1 ip4:192.0.2.0/24 -all']);
  });

  test('txt() reads a DKIM-sized record that needs TCP', async () => {
    assert.deepEqual(await resolver().txt('selector._domainkey.example.test'), [`v=DKIM1; k=rsa; p=${'B'.repeat(600)}`]);
  });

  test('ptr() looks up IPv4 and IPv6 addresses', async () => {
    assert.deepEqual(await resolver().ptr('192.0.2.1'), ['mail.example.test']);
    assert.deepEqual(await resolver().ptr('2001:db8::1'), ['mail6.example.test']);
  });

  test('srv() returns service records, and "." for a service that is not offered (RFC 2782, RFC 6186 §4)', async () => {
    assert.deepEqual(await resolver().srv('_submissions._tcp.example.test'), [{ priority: 0, weight: 1, port: 465, name: 'mail.example.test' }]);
    assert.deepEqual(await resolver().srv('_pop3s._tcp.example.test'), [{ priority: 0, weight: 0, port: 0, name: '' }]);
    assert.deepEqual(await resolver().srv('example.test'), []);
  });

  test('ptr() refuses something that is not an IP address', async () => {
    await assert.rejects(resolver().ptr('mail.example.test'), TypeError);
  });

  test('names are absolute and case-insensitive: a trailing dot and capitals change nothing', async () => {
    assert.deepEqual(await resolver().aaaa('EXAMPLE.test.'), ['2001:db8::1']);
  });

  test('a name that does not exist is NXDOMAIN, naming the query', async () => {
    const error = await failure(resolver().mx('nowhere.test'));
    assert.equal(error.kind, 'NXDOMAIN');
    assert.equal(error.query, 'nowhere.test');
    assert.equal(error.rrtype, 'MX');
    assert.equal(error.message, 'DNS MX nowhere.test: no such domain');
    assert.equal(await kindOf(resolver().ptr('192.0.2.99')), 'NXDOMAIN');
  });

  test('a name without records of the type (NODATA) is an empty list, not an error', async () => {
    assert.deepEqual(await resolver().mx('selector._domainkey.example.test'), []);
    assert.deepEqual(await resolver().a('nullmx.test'), []);
    assert.deepEqual(await resolver().txt('nullmx.test'), []);
  });

  test('SERVFAIL is TEMPFAIL', async () => {
    const error = await failure(resolver().txt('servfail.test'));
    assert.equal(error.kind, 'TEMPFAIL');
    assert.equal(error.detail, 'ESERVFAIL');
    assert.match(error.message, /temporary failure \(ESERVFAIL\)/);
  });

  test('a name that cannot be encoded (a label over 63 octets, RFC 1035 §2.3.4) is NXDOMAIN without a query', async () => {
    const name = `${'x'.repeat(64)}.example.test`;
    assert.equal(await kindOf(resolver().a(name)), 'NXDOMAIN');
    assert.equal(await kindOf(resolver().mx('a..example.test')), 'NXDOMAIN');
    assert.equal(server.count(name), 0);
  });
});

describe('createResolver when no answer comes', () => {
  test('a server that never answers is TEMPFAIL within the timeout, not a hang', async () => {
    const silent = await startSilentDnsServer();
    try {
      const resolver = createResolver({ servers: [silent.address], timeoutMs: 300 });
      const started = Date.now();
      const error = await failure(resolver.a('example.test'));
      const elapsed = Date.now() - started;
      assert.equal(error.kind, 'TEMPFAIL');
      assert.equal(error.detail, 'ETIMEOUT');
      // c-ares may wait up to twice the initial timeout on its single try.
      assert.ok(elapsed < 300 * 2 + 500, `took ${elapsed} ms`);
      assert.ok(silent.received() >= 1);
    } finally {
      await silent.stop();
    }
  });

  test('a name the server leaves unanswered is TEMPFAIL', async () => {
    const server = await startDnsServer({ 'slow.test': { TIMEOUT: true } });
    try {
      const resolver = createResolver({ servers: [server.address], timeoutMs: 200 });
      assert.equal(await kindOf(resolver.mx('slow.test')), 'TEMPFAIL');
    } finally {
      await server.stop();
    }
  });

  test('a port with no DNS server behind it is TEMPFAIL, fast', async () => {
    const resolver = createResolver({ servers: [await closedUdpAddress()], timeoutMs: 5000 });
    const started = Date.now();
    const error = await failure(resolver.txt('example.test'));
    assert.equal(error.kind, 'TEMPFAIL');
    assert.ok(Date.now() - started < 4000, 'did not wait for the timeout');
  });

  test('servers may be written "ip", "ip:port" or "[v6]:port"; anything else is refused by name', async () => {
    createResolver({ servers: ['127.0.0.1', '127.0.0.1:5353', '[::1]:53', '::1'], timeoutMs: 100 });
    assert.throws(() => createResolver({ servers: ['dns.example.test'], timeoutMs: 100 }), /dns\.servers .*dns\.example\.test/);
  });
});

describe('createResolver cache', () => {
  let server: DnsTestServer;
  let clock: number;
  const now = () => clock;

  before(async () => {
    server = await startDnsServer({});
  });
  after(() => server.stop());

  function cachedResolver() {
    clock = 1_000_000;
    return createResolver({ servers: [server.address], timeoutMs: 1000, cache: { maxTtlSeconds: 60, negativeTtlSeconds: 10, now } });
  }

  test('a repeated lookup is answered from the cache without a query', async () => {
    server.set({ 'cached.test': { TXT: ['v=spf1 -all'], MX: [{ exchange: 'mx.cached.test', priority: 1 }] } });
    const resolver = cachedResolver();
    const queriesBefore = server.queries.length;
    assert.deepEqual(await resolver.txt('cached.test'), ['v=spf1 -all']);
    assert.deepEqual(await resolver.txt('Cached.Test.'), ['v=spf1 -all']);
    assert.deepEqual(await resolver.mx('cached.test'), [{ exchange: 'mx.cached.test', priority: 1 }]);
    assert.deepEqual(await resolver.mx('cached.test'), [{ exchange: 'mx.cached.test', priority: 1 }]);
    assert.equal(server.queries.length - queriesBefore, 2);
    assert.equal(resolver.cache?.hits, 2);
  });

  test('concurrent identical lookups share one query', async () => {
    server.set({ 'dnsbl.test': { A: ['127.0.0.2'] } });
    const resolver = cachedResolver();
    const answers = await Promise.all([resolver.a('dnsbl.test'), resolver.a('dnsbl.test'), resolver.a('dnsbl.test')]);
    assert.deepEqual(answers, [['127.0.0.2'], ['127.0.0.2'], ['127.0.0.2']]);
    assert.equal(server.count('dnsbl.test', 'A'), 1);
  });

  test('answers expire after the maximum TTL even when the record’s TTL is longer', async () => {
    server.set({ 'long.test': { A: ['192.0.2.5'], TTL: 86400 } });
    const resolver = cachedResolver();
    await resolver.a('long.test');
    clock += 59_000;
    await resolver.a('long.test');
    assert.equal(server.count('long.test', 'A'), 1);
    clock += 2_000;
    await resolver.a('long.test');
    assert.equal(server.count('long.test', 'A'), 2);
  });

  test('an address record with a short TTL is reused only that long', async () => {
    server.set({ 'short.test': { A: ['192.0.2.6'], TTL: 5 } });
    const resolver = cachedResolver();
    await resolver.a('short.test');
    clock += 4_000;
    await resolver.a('short.test');
    assert.equal(server.count('short.test', 'A'), 1);
    clock += 2_000;
    await resolver.a('short.test');
    assert.equal(server.count('short.test', 'A'), 2);
  });

  test('NXDOMAIN and NODATA are remembered for the negative TTL', async () => {
    server.set({ 'exists.test': { A: ['192.0.2.7'] } });
    const resolver = cachedResolver();
    assert.equal(await kindOf(resolver.a('gone.test')), 'NXDOMAIN');
    assert.deepEqual(await resolver.mx('exists.test'), []);
    server.set({ 'exists.test': { A: ['192.0.2.7'], MX: [{ exchange: 'mx.exists.test', priority: 1 }] }, 'gone.test': { A: ['192.0.2.8'] } });
    assert.equal(await kindOf(resolver.a('gone.test')), 'NXDOMAIN');
    assert.deepEqual(await resolver.mx('exists.test'), []);
    assert.equal(server.count('gone.test') + server.count('exists.test'), 2);
    clock += 11_000;
    assert.deepEqual(await resolver.a('gone.test'), ['192.0.2.8']);
    assert.deepEqual(await resolver.mx('exists.test'), [{ exchange: 'mx.exists.test', priority: 1 }]);
  });

  test('a temporary failure is not cached: the next lookup asks again', async () => {
    server.set({ 'flaky.test': { SERVFAIL: true } });
    const resolver = cachedResolver();
    assert.equal(await kindOf(resolver.txt('flaky.test')), 'TEMPFAIL');
    server.set({ 'flaky.test': { TXT: ['ok'] } });
    assert.deepEqual(await resolver.txt('flaky.test'), ['ok']);
    assert.equal(server.count('flaky.test', 'TXT'), 2);
  });

  test('callers cannot change what the cache holds', async () => {
    server.set({ 'mutable.test': { A: ['192.0.2.9'], MX: [{ exchange: 'mx.mutable.test', priority: 1 }] } });
    const resolver = cachedResolver();
    (await resolver.a('mutable.test')).push('203.0.113.1');
    const [mx] = await resolver.mx('mutable.test');
    assert.ok(mx);
    mx.exchange = 'changed.test';
    assert.deepEqual(await resolver.a('mutable.test'), ['192.0.2.9']);
    assert.deepEqual(await resolver.mx('mutable.test'), [{ exchange: 'mx.mutable.test', priority: 1 }]);
  });

  test('cache: false queries every time', async () => {
    server.set({ 'nocache.test': { A: ['192.0.2.10'] } });
    const resolver = createResolver({ servers: [server.address], timeoutMs: 1000, cache: false });
    await resolver.a('nocache.test');
    await resolver.a('nocache.test');
    assert.equal(resolver.cache, null);
    assert.equal(server.count('nocache.test'), 2);
  });
});
