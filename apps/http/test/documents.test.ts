import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '@postern/config';
import { autoconfigXml } from '../src/autoconfig.js';
import { requestedAddress } from '../src/autodiscover.js';
import { mailEndpoints } from '../src/mail-servers.js';
import { mtaStsPolicy, policyDomain } from '../src/mta-sts.js';
import { escapeXml } from '../src/xml.js';

const config = (extra: Record<string, unknown> = {}) => configSchema.parse({ hostname: 'mail.example.com', ...extra });

test('RFC 8461 §3.2: version first, then mode, the mx lines and max_age, each ended by CRLF', () => {
  assert.equal(mtaStsPolicy(config()), 'version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 604800\r\n');
  assert.equal(
    mtaStsPolicy(config({ mta_sts: { mode: 'enforce', max_age: 86400, mx: ['mail.example.com', '*.example.net'] } })),
    'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 86400\r\n',
  );
});

test('RFC 8461 §3.3: the policy host is mta-sts.DOMAIN', () => {
  assert.equal(policyDomain('mta-sts.example.com'), 'example.com');
  assert.equal(policyDomain('example.com'), null);
  assert.equal(policyDomain(null), null);
});

test('advertises only the listeners configured, implicit TLS first (RFC 8314 §3.3, §4.1), plain without a certificate', () => {
  const listen = { imap: ['0.0.0.0:143'], imaps: [], pop3: [], pop3s: ['0.0.0.0:995', '[::]:995'], submission: ['0.0.0.0:587'], submissions: ['0.0.0.0:465'] };
  const endpoints = mailEndpoints(config({ listen }), true).map((e) => `${e.protocol}:${e.port}:${e.socketType}`);
  assert.deepEqual(endpoints, ['imap:143:STARTTLS', 'pop3:995:SSL', 'smtp:465:SSL', 'smtp:587:STARTTLS']);
  assert.deepEqual(mailEndpoints(config({ listen: { ...listen, pop3s: [], submissions: [] } }), false).map((e) => e.socketType), ['plain', 'plain']);
});

test('XML text is escaped, and characters XML 1.0 forbids are dropped', () => {
  assert.equal(escapeXml(`<a href="x">&'\u0001`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  assert.match(autoconfigXml(['ex<ample.com'], []), /<domain>ex&lt;ample\.com<\/domain>/);
});

test('reads EMailAddress from a POX request with or without a namespace prefix, decoding XML entities', () => {
  assert.equal(requestedAddress('<Autodiscover><Request><EMailAddress>alice@example.com</EMailAddress></Request></Autodiscover>'), 'alice@example.com');
  assert.equal(requestedAddress('<a:Autodiscover xmlns:a="x"><a:Request><a:EMailAddress> o&apos;neil@example.com </a:EMailAddress></a:Request></a:Autodiscover>'), "o'neil@example.com");
  assert.throws(() => requestedAddress('<Autodiscover/>'), /no EMailAddress/);
});
