import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reverseName, reversedLabels } from '../src/index.js';

describe('reverseName', () => {
  test('reverses IPv4 octets under in-addr.arpa (RFC 1035 §3.5)', () => {
    assert.equal(reverseName('192.0.2.1'), '1.2.0.192.in-addr.arpa');
    assert.equal(reverseName('127.0.0.2'), '2.0.0.127.in-addr.arpa');
  });

  test('writes IPv6 as 32 reversed nibbles under ip6.arpa (RFC 3596 §2.5)', () => {
    assert.equal(reverseName('2001:db8::567:89ab'), 'b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    assert.equal(reverseName('::1'), `1.${'0.'.repeat(31)}ip6.arpa`);
    assert.equal(reverseName('::'), `${'0.'.repeat(32)}ip6.arpa`);
    assert.equal(reverseName('FE80:0:0:0:0:0:0:ABCD'), 'd.c.b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa');
  });

  test('expands an IPv4 tail and drops a zone index', () => {
    assert.equal(reversedLabels('::ffff:192.0.2.1'), '1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0');
    assert.equal(reversedLabels('fe80::1%eth0'), `1.${'0.'.repeat(27)}0.8.e.f`);
  });

  test('gives DNSBL query labels without the arpa suffix', () => {
    assert.equal(`${reversedLabels('192.0.2.99')}.zen.example.test`, '99.2.0.192.zen.example.test');
  });

  test('refuses anything that is not an IP address', () => {
    for (const bad of ['mail.example.test', '192.0.2', '1:2:3', '', '[::1]']) {
      assert.throws(() => reverseName(bad), TypeError, bad);
    }
  });
});
