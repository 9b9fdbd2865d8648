// Table tests of the MTA-STS record and policy parsers (RFC 8461 §3.1, §3.2, §4.1) and the TLSRPT record (RFC 8460 §3).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mxMatches, parseStsPolicy, type StsPolicy } from '../src/mta-sts/policy.js';
import { parseStsRecord } from '../src/mta-sts/record.js';
import { parseTlsRptRecord } from '../src/tlsrpt/rua.js';

describe('the _mta-sts TXT record (RFC 8461 §3.1)', () => {
  const cases: [string, string[], string | null][] = [
    ['the RFC example', ['v=STSv1; id=20160831085700Z;'], '20160831085700Z'],
    ['without the final ";"', ['v=STSv1; id=abc123'], 'abc123'],
    ['other TXT records are discarded', ['v=spf1 -all', 'v=STSv1; id=1;'], '1'],
    ['extension fields are ignored', ['v=STSv1; ext=yes; id=2;'], '2'],
    ['two STSv1 records: no policy', ['v=STSv1; id=1;', 'v=STSv1; id=2;'], null],
    ['no id', ['v=STSv1;'], null],
    ['an id longer than 32 characters', [`v=STSv1; id=${'a'.repeat(33)};`], null],
    ['an id with punctuation', ['v=STSv1; id=2016-08-31;'], null],
    ['not at the start', [' v=STSv1; id=1;'], null],
    ['no record', [], null],
  ];
  for (const [name, txts, id] of cases) {
    test(name, () => assert.deepEqual(parseStsRecord(txts), id === null ? null : { id }));
  }
});

describe('the policy file (RFC 8461 §3.2)', () => {
  test('the RFC example, CRLF lines', () => {
    const text = 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n';
    assert.deepEqual(parseStsPolicy(text), { mode: 'enforce', mx: ['mail.example.com', '*.example.net', 'backupmx.example.com'], maxAge: 604800 });
  });
  test('LF lines, spaces around values, unknown keys ignored, upper-case MX lower-cased', () => {
    assert.deepEqual(parseStsPolicy('version: STSv1\nmode:  testing \nmx: MX.Example.COM\nextension: x\nmax_age: 86400\n'), { mode: 'testing', mx: ['mx.example.com'], maxAge: 86400 });
  });
  test('mode none needs no mx', () => {
    assert.deepEqual(parseStsPolicy('version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n'), { mode: 'none', mx: [], maxAge: 86400 });
  });
  test('max_age above 31557600 is capped there', () => {
    assert.equal((parseStsPolicy('version: STSv1\nmode: testing\nmx: a.example\nmax_age: 9999999999\n') as StsPolicy).maxAge, 31557600);
  });
  const invalid: [string, string, RegExp][] = [
    ['another version', 'version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n', /version/],
    ['an unknown mode', 'version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n', /mode/],
    ['two modes', 'version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1\n', /mode/],
    ['no max_age', 'version: STSv1\nmode: enforce\nmx: a.example\n', /max_age/],
    ['a negative max_age', 'version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -5\n', /max_age/],
    ['enforce without mx', 'version: STSv1\nmode: enforce\nmax_age: 1\n', /no mx/],
    ['a wildcard in the middle', 'version: STSv1\nmode: enforce\nmx: mx.*.example\nmax_age: 1\n', /mx/],
    ['a line without a colon', 'version: STSv1\nmode enforce\n', /not "key: value"/],
    ['an HTML page', '<html><body>Not here</body></html>', /not "key: value"/],
  ];
  for (const [name, text, reason] of invalid) {
    test(`refuses ${name}`, () => {
      const result = parseStsPolicy(text);
      assert.equal(typeof result, 'string');
      assert.match(result as string, reason);
    });
  }
});

describe('MX host matching (RFC 8461 §4.1)', () => {
  const policy: StsPolicy = { mode: 'enforce', mx: ['mail.example.com', '*.example.net'], maxAge: 1 };
  const cases: [string, boolean][] = [
    ['mail.example.com', true],
    ['MAIL.example.com.', true],
    ['mx1.example.net', true],
    ['example.net', false],
    ['a.b.example.net', false],
    ['mail.example.com.evil.test', false],
    ['xmail.example.com', false],
  ];
  for (const [host, matches] of cases) test(`${host}: ${matches ? 'matches' : 'does not match'}`, () => assert.equal(mxMatches(policy, host), matches));
});

describe('the TLSRPT record (RFC 8460 §3)', () => {
  test('the RFC examples', () => {
    assert.deepEqual(parseTlsRptRecord(['v=TLSRPTv1;rua=mailto:reports@example.com']), { mailto: ['reports@example.com'], https: [] });
    assert.deepEqual(parseTlsRptRecord(['v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt']), { mailto: [], https: ['https://reporting.example.com/v1/tlsrpt'] });
  });
  test('several destinations, percent-encoded addresses', () => {
    assert.deepEqual(parseTlsRptRecord(['v=TLSRPTv1; rua=mailto:a%2Bb@example.com, mailto:c@example.org,https://r.example/x']), { mailto: ['a+b@example.com', 'c@example.org'], https: ['https://r.example/x'] });
  });
  test('no record, two records, or no rua: no reports', () => {
    assert.equal(parseTlsRptRecord([]), null);
    assert.equal(parseTlsRptRecord(['v=TLSRPTv1; rua=mailto:a@x.example', 'v=TLSRPTv1; rua=mailto:b@x.example']), null);
    assert.equal(parseTlsRptRecord(['v=TLSRPTv1;']), null);
    assert.equal(parseTlsRptRecord(['v=spf1 -all']), null);
  });
});
