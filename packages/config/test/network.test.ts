import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mynetworksMatcher, parseDnsServer, parseListenAddress, parseNetwork } from '../src/index.js';

test('parses listen addresses into what net.Server#listen takes', () => {
  assert.deepEqual(parseListenAddress('0.0.0.0:25'), { kind: 'tcp', host: '0.0.0.0', port: 25 });
  assert.deepEqual(parseListenAddress('[::]:587'), { kind: 'tcp', host: '::', port: 587 });
  assert.deepEqual(parseListenAddress('[::1]:24'), { kind: 'tcp', host: '::1', port: 24 });
  assert.deepEqual(parseListenAddress('localhost:143'), { kind: 'tcp', host: 'localhost', port: 143 });
  assert.deepEqual(parseListenAddress('unix:/run/postern/lmtp.sock'), { kind: 'unix', path: '/run/postern/lmtp.sock' });
  assert.deepEqual(parseListenAddress('127.0.0.1:65535'), { kind: 'tcp', host: '127.0.0.1', port: 65535 });
});

test('refuses malformed listen addresses with one line saying what is accepted', () => {
  for (const text of ['0.0.0.0:99999', '0.0.0.0:0', '0.0.0.0', ':25', '::1:24', '[::1]', '[1.2.3.4]:25', '0.0.0.0:25x', 'unix:', 'bad_host:25', '']) {
    assert.throws(() => parseListenAddress(text), /is not a valid listen address \(expected host:port or \[v6\]:port with port 1-65535, or unix:\/path\)$/, text);
  }
  assert.throws(() => parseListenAddress('unix:/x', { allowUnix: false }), /expected host:port or \[v6\]:port with port 1-65535\)$/);
});

test('parses mynetworks entries as Postfix writes them', () => {
  assert.deepEqual(parseNetwork('127.0.0.0/8'), { family: 'ipv4', address: '127.0.0.0', prefix: 8 });
  assert.deepEqual(parseNetwork('[::1]/128'), { family: 'ipv6', address: '::1', prefix: 128 });
  assert.deepEqual(parseNetwork('2001:db8::/32'), { family: 'ipv6', address: '2001:db8::', prefix: 32 });
  assert.deepEqual(parseNetwork('192.0.2.7'), { family: 'ipv4', address: '192.0.2.7', prefix: 32 });
  for (const text of ['10.0.0.0/33', '[10.0.0.0]/8', '::1/129', 'example.com/24', '10.0.0/8', '10.0.0.0/']) assert.equal(parseNetwork(text), null, text);
});

test('permit_mynetworks matching covers IPv4, IPv6 and IPv4-mapped clients', () => {
  const trusted = mynetworksMatcher(['127.0.0.0/8', '[::1]/128', '192.168.0.0/16']);
  assert.equal(trusted('127.0.0.1'), true);
  assert.equal(trusted('127.255.0.9'), true);
  assert.equal(trusted('::1'), true);
  assert.equal(trusted('::ffff:192.168.4.5'), true);
  assert.equal(trusted('192.169.0.1'), false);
  assert.equal(trusted('::2'), false);
  assert.equal(trusted('not-an-ip'), false);
  assert.throws(() => mynetworksMatcher(['10.0.0.0/40']), /"10.0.0.0\/40" is not a network/);
});

test('parses DNS servers with an optional port, defaulting to 53', () => {
  assert.deepEqual(parseDnsServer('127.0.0.53'), { host: '127.0.0.53', port: 53 });
  assert.deepEqual(parseDnsServer('::1'), { host: '::1', port: 53 });
  assert.deepEqual(parseDnsServer('127.0.0.1:5353'), { host: '127.0.0.1', port: 5353 });
  assert.deepEqual(parseDnsServer('[::1]:5353'), { host: '::1', port: 5353 });
  assert.equal(parseDnsServer('dns.example:53'), null);
  assert.equal(parseDnsServer('1.1.1.1:0'), null);
});
