import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authservId } from '../src/authentication-results.js';
import { removeOwnAuthenticationResults } from '../src/index.js';

const HOST = 'mx.postern.example';
const BODY = 'Hello,\r\n\r\nAuthentication-Results: mx.postern.example; this line is body text\r\n\xff\xfe 8-bit bytes\r\n';

function build(headerLines: string[]): Buffer {
  return Buffer.from(`${headerLines.join('\r\n')}\r\n\r\n${BODY}`, 'latin1');
}

describe('removeOwnAuthenticationResults (RFC 8601 §5)', () => {
  test('drops fields claiming our authserv-id, folded ones included, and keeps foreign ones byte for byte', () => {
    const foreign = 'Authentication-Results: mx.google.example;\r\n\tdkim=pass header.i=@sender.example';
    const input = build([
      'Received: from a by b; Mon, 02 Nov 2026 10:00:00 +0000',
      `Authentication-Results: ${HOST}; spf=pass smtp.mailfrom=forged@example.com`,
      foreign,
      'authentication-results:  MX.Postern.Example.;\r\n  dkim=pass\r\n  header.d=forged.example',
      'ARC-Authentication-Results: i=1; mx.postern.example; spf=pass',
      'Subject: hi',
    ]);
    const output = removeOwnAuthenticationResults(input, HOST);
    assert.equal(
      output.toString('latin1'),
      build([
        'Received: from a by b; Mon, 02 Nov 2026 10:00:00 +0000',
        foreign,
        'ARC-Authentication-Results: i=1; mx.postern.example; spf=pass',
        'Subject: hi',
      ]).toString('latin1'),
    );
  });

  test('the authserv-id may follow a comment, be quoted, or carry a version', () => {
    const input = build([
      `Authentication-Results: (forged) ${HOST}; spf=pass`,
      `Authentication-Results: "${HOST}"; dkim=pass`,
      `Authentication-Results: ${HOST} 1; dmarc=pass`,
      'Authentication-Results: mx.postern.example.evil; dmarc=pass',
      'Authentication-Results: other.example; none',
      'Subject: hi',
    ]);
    const kept = removeOwnAuthenticationResults(input, HOST).toString('latin1');
    assert.equal(kept, build(['Authentication-Results: mx.postern.example.evil; dmarc=pass', 'Authentication-Results: other.example; none', 'Subject: hi']).toString('latin1'));
  });

  test('returns the same buffer when there is nothing to drop, and never touches the body', () => {
    const input = build(['Subject: hi', 'Authentication-Results: other.example; spf=pass']);
    assert.equal(removeOwnAuthenticationResults(input, HOST), input);
    const bodyOnly = Buffer.from(`\r\n${BODY}`, 'latin1');
    assert.equal(removeOwnAuthenticationResults(bodyOnly, HOST), bodyOnly);
  });

  test('handles a message that is only a header, and bare LF line ends', () => {
    const onlyHeader = Buffer.from(`Subject: x\r\nAuthentication-Results: ${HOST}; spf=pass\r\n`);
    assert.equal(removeOwnAuthenticationResults(onlyHeader, HOST).toString(), 'Subject: x\r\n');
    const lf = Buffer.from(`Authentication-Results: ${HOST};\n spf=pass\nSubject: x\n\nbody\n`);
    assert.equal(removeOwnAuthenticationResults(lf, HOST).toString(), 'Subject: x\n\nbody\n');
  });
});

describe('authservId', () => {
  const cases: [string, string | null][] = [
    [' mx.example.com; spf=pass', 'mx.example.com'],
    ['mx.example.com 1; spf=pass', 'mx.example.com'],
    [' (comment (nested)) mx.example.com;', 'mx.example.com'],
    [' "quoted\\"id"; none', 'quoted"id'],
    ['   ', null],
    [' ;spf=pass', null],
  ];
  for (const [value, expected] of cases) {
    test(`${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => assert.equal(authservId(value), expected));
  }
});
