// The delivery rules that need no server: trace header lines and the quota arithmetic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exceedsQuota, withTraceHeaders } from '../src/delivery/index.js';

describe('withTraceHeaders', () => {
  it('puts Return-Path and Delivered-To on top with CRLF for a CRLF message', () => {
    const out = withTraceHeaders(Buffer.from('Subject: x\r\n\r\nbody\r\n'), { returnPath: 'a@remote.example', deliveredTo: 'b@example.com' });
    assert.equal(out.toString(), 'Return-Path: <a@remote.example>\r\nDelivered-To: b@example.com\r\nSubject: x\r\n\r\nbody\r\n');
  });

  it('matches a message that uses bare LF line ends', () => {
    const out = withTraceHeaders(Buffer.from('Subject: x\n\nbody\n'), { returnPath: '', deliveredTo: 'b@example.com' });
    assert.equal(out.toString(), 'Return-Path: <>\nDelivered-To: b@example.com\nSubject: x\n\nbody\n');
  });

  it('uses CRLF for a message without any line end', () => {
    const out = withTraceHeaders(Buffer.from('Subject: x'), { returnPath: 'a@remote.example', deliveredTo: 'b@example.com' });
    assert.ok(out.toString().startsWith('Return-Path: <a@remote.example>\r\nDelivered-To: b@example.com\r\n'));
  });

  it('keeps UTF-8 addresses (SMTPUTF8, RFC 6532) as they are', () => {
    const out = withTraceHeaders(Buffer.from('Subject: x\r\n\r\n'), { returnPath: 'jörg@bücher.example', deliveredTo: 'zoë@example.com' });
    assert.match(out.toString('utf8'), /^Return-Path: <jörg@bücher\.example>\r\nDelivered-To: zoë@example\.com\r\n/);
  });
});

describe('exceedsQuota', () => {
  const cases: [string, { quota: number; storageUsed: number }, number, boolean][] = [
    ['0 means unlimited', { quota: 0, storageUsed: 10 ** 12 }, 10 ** 9, false],
    ['a message that fills the quota exactly fits', { quota: 1000, storageUsed: 400 }, 600, false],
    ['one byte over does not', { quota: 1000, storageUsed: 400 }, 601, true],
    ['a user already over takes nothing more', { quota: 1000, storageUsed: 1200 }, 1, true],
  ];
  for (const [name, user, size, expected] of cases) {
    it(name, () => assert.equal(exceedsQuota(user, size), expected));
  }
});
