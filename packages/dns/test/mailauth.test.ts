import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type * as Mailauth from '../../smtp-policy/node_modules/mailauth/index.js';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { createResolver, type MailauthResolver } from '../src/index.js';

// mailauth is @postern/smtp-policy's dependency, not ours: the adapter is proved against the copy the policy runs.
const mailauth = createRequire(new URL('../../smtp-policy/package.json', import.meta.url))('mailauth') as typeof Mailauth;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error);
    return (error as Error & { code: string }).code;
  }
  assert.fail('expected the lookup to fail');
}

describe('mailauthResolver() shapes, as node:dns/promises resolve() gives them', () => {
  let server: DnsTestServer;
  let resolve: MailauthResolver;

  before(async () => {
    server = await startDnsServer({
      'example.test': {
        A: ['192.0.2.1'],
        AAAA: ['2001:db8::1'],
        MX: [
          { exchange: 'mx2.example.test', priority: 20 },
          { exchange: 'mx1.example.test', priority: 10 },
        ],
        TXT: [['v=spf1 ', 'ip4:192.0.2.0/24 ', '-all']],
      },
      '1.2.0.192.in-addr.arpa': { PTR: ['mail.example.test'] },
      'servfail.test': { SERVFAIL: true },
      'slow.test': { TIMEOUT: true },
    });
    resolve = createResolver({ servers: [server.address], timeoutMs: 300 }).mailauthResolver();
  });
  after(() => server.stop());

  test('TXT is a list of records, each its character-strings unjoined', async () => {
    assert.deepEqual(await resolve('example.test', 'TXT'), [['v=spf1 ', 'ip4:192.0.2.0/24 ', '-all']]);
  });

  test('MX is {exchange, priority} objects in answer order (mailauth sorts them); A and AAAA are address strings', async () => {
    assert.deepEqual(await resolve('example.test', 'MX'), [
      { exchange: 'mx2.example.test', priority: 20 },
      { exchange: 'mx1.example.test', priority: 10 },
    ]);
    assert.deepEqual(await resolve('example.test', 'A'), ['192.0.2.1']);
    assert.deepEqual(await resolve('example.test', 'AAAA'), ['2001:db8::1']);
  });

  test('PTR takes the reverse name, as SPF’s ptr mechanism asks it', async () => {
    assert.deepEqual(await resolve('1.2.0.192.in-addr.arpa', 'PTR'), ['mail.example.test']);
  });

  test('NXDOMAIN rejects with code ENOTFOUND and NODATA with ENODATA (SPF counts both as void lookups)', async () => {
    assert.equal(await codeOf(resolve('nowhere.test', 'TXT')), 'ENOTFOUND');
    assert.equal(await codeOf(resolve('1.2.0.192.in-addr.arpa', 'TXT')), 'ENODATA');
    // The same codes come back from the negative cache.
    assert.equal(await codeOf(resolve('nowhere.test', 'TXT')), 'ENOTFOUND');
    assert.equal(await codeOf(resolve('1.2.0.192.in-addr.arpa', 'TXT')), 'ENODATA');
  });

  test('SERVFAIL and silence reject with ESERVFAIL and ETIMEOUT', async () => {
    assert.equal(await codeOf(resolve('servfail.test', 'MX')), 'ESERVFAIL');
    assert.equal(await codeOf(resolve('slow.test', 'A')), 'ETIMEOUT');
  });

  test('errors name the query the way node:dns does', async () => {
    try {
      await resolve('nowhere.test', 'AAAA');
      assert.fail('expected ENOTFOUND');
    } catch (error) {
      assert.deepEqual({ ...(error as object) }, { code: 'ENOTFOUND', syscall: 'queryAaaa', hostname: 'nowhere.test' });
      assert.equal((error as Error).message, 'queryAaaa ENOTFOUND nowhere.test');
    }
  });

  test('mailauth sorting an answer in place does not disturb the cached one', async () => {
    const first = (await resolve('example.test', 'MX')) as { exchange: string; priority: number }[];
    first.sort((x, y) => x.priority - y.priority);
    first[0]!.exchange = 'changed.test';
    assert.deepEqual(await resolve('example.test', 'MX'), [
      { exchange: 'mx2.example.test', priority: 20 },
      { exchange: 'mx1.example.test', priority: 10 },
    ]);
  });
});

describe('mailauth 4.13.3 SPF through mailauthResolver()', () => {
  let server: DnsTestServer;
  let resolver: Mailauth.DNSResolver;

  before(async () => {
    server = await startDnsServer({
      'example.test': { TXT: ['v=spf1 mx include:_spf.example.test -all'], MX: [{ exchange: 'mx.example.test', priority: 10 }] },
      '_spf.example.test': { TXT: ['v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:5::/48 -all'] },
      'mx.example.test': { A: ['192.0.2.25'] },
      'soft.test': { TXT: ['v=spf1 ~all'] },
      'nospf.test': { MX: [{ exchange: 'mx.example.test', priority: 10 }] },
      'voids.test': { TXT: ['v=spf1 a:v1.voids.test a:v2.voids.test a:v3.voids.test -all'] },
      'servfail.test': { SERVFAIL: true },
    });
    // mailauth types its resolver as returning string lists; MX answers are objects, as node:dns returns them.
    resolver = createResolver({ servers: [server.address], timeoutMs: 500 }).mailauthResolver() as Mailauth.DNSResolver;
  });
  after(() => server.stop());

  const spf = (sender: string, ip: string) => mailauth.spf({ sender, ip, helo: 'client.test', mta: 'mx.postern.test', resolver });

  test('passes an address of the domain’s MX and one of an included range, IPv4 and IPv6', async () => {
    assert.equal((await spf('user@example.test', '192.0.2.25')).status.result, 'pass');
    assert.equal((await spf('user@example.test', '198.51.100.7')).status.result, 'pass');
    assert.equal((await spf('user@example.test', '2001:db8:5::9')).status.result, 'pass');
  });

  test('fails an address the record does not list, softfails on ~all', async () => {
    assert.equal((await spf('user@example.test', '203.0.113.9')).status.result, 'fail');
    assert.equal((await spf('user@soft.test', '203.0.113.9')).status.result, 'softfail');
  });

  test('is none for a domain without an SPF record or without any record', async () => {
    assert.equal((await spf('user@nospf.test', '203.0.113.9')).status.result, 'none');
    assert.equal((await spf('user@nowhere.test', '203.0.113.9')).status.result, 'none');
  });

  test('is permerror past two void lookups (RFC 7208 §4.6.4), which needs NXDOMAIN to reach mailauth as an error', async () => {
    const result = await spf('user@voids.test', '203.0.113.9');
    assert.equal(result.status.result, 'permerror');
    assert.match(String(result.status.comment), /void/i);
  });

  test('is temperror when the DNS fails (RFC 7208 §2.6.6)', async () => {
    assert.equal((await spf('user@servfail.test', '203.0.113.9')).status.result, 'temperror');
  });
});

describe('mailauth 4.13.3 DKIM through mailauthResolver()', () => {
  let server: DnsTestServer;
  let resolver: Mailauth.DNSResolver;
  let signed: string;

  before(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    server = await startDnsServer({ 'sel._domainkey.example.test': { TXT: [`v=DKIM1; k=rsa; p=${p}`] } });
    resolver = createResolver({ servers: [server.address], timeoutMs: 500, cache: false }).mailauthResolver() as Mailauth.DNSResolver;
    const message = 'From: a@example.test\r\nTo: b@example.test\r\nSubject: hi\r\n\r\nHello\r\n';
    // mailauth 4.13.3 signs only what is in signatureData, though its typings demand top-level fields.
    const options = { signatureData: [{ signingDomain: 'example.test', selector: 'sel', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) }] };
    const { signatures, errors } = await mailauth.dkimSign(message, options as unknown as Mailauth.DKIMSignOptions);
    assert.deepEqual(errors, []);
    assert.match(signatures, /^DKIM-Signature: /);
    signed = signatures + message;
  });
  after(() => server.stop());

  test('verifies a signature against the key published in a multi-string TXT record', async () => {
    const { results } = await mailauth.dkimVerify(signed, { resolver });
    assert.equal(results[0]?.status.result, 'pass');
  });

  test('is neutral "no key" when the key record is gone, temperror when the DNS fails', async () => {
    server.set({});
    assert.equal((await mailauth.dkimVerify(signed, { resolver })).results[0]?.status.result, 'neutral');
    server.set({ 'sel._domainkey.example.test': { SERVFAIL: true } });
    assert.equal((await mailauth.dkimVerify(signed, { resolver })).results[0]?.status.result, 'temperror');
  });
});
