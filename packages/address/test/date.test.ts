import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rfc5322Date } from '../src/index.js';

describe('rfc5322Date', () => {
  it('writes RFC 5322 §3.3 date-time in UTC', () => {
    assert.equal(rfc5322Date(new Date(Date.UTC(2026, 0, 5, 7, 8, 9))), 'Mon, 5 Jan 2026 07:08:09 +0000');
    assert.equal(rfc5322Date(new Date(Date.UTC(2026, 10, 21, 23, 59, 59))), 'Sat, 21 Nov 2026 23:59:59 +0000');
  });

  it('writes the local zone with its offset, naming the same instant', () => {
    const instant = new Date(Date.UTC(2026, 2, 2, 8, 0, 6));
    const local = rfc5322Date(instant, 'local');
    assert.match(local, /^\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$/);
    assert.equal(Date.parse(local), instant.getTime());
  });
});
