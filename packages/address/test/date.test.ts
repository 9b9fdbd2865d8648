import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rfc5322CalendarDate, rfc5322Date } from '../src/index.js';

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

describe('rfc5322CalendarDate', () => {
  it('reads the date as written, whatever the time and zone', () => {
    assert.deepEqual(rfc5322CalendarDate('Sun, 2 Nov 2025 23:30:00 -0500'), { year: 2025, month: 11, day: 2 });
    assert.deepEqual(rfc5322CalendarDate('3 Nov 2025 00:10:00 +1400'), { year: 2025, month: 11, day: 3 });
  });

  it('accepts the RFC 5322 §4.3 obsolete forms: comments, folding and short years', () => {
    assert.deepEqual(rfc5322CalendarDate('(sent) Tue,  4 feb 97 10:00 EST'), { year: 1997, month: 2, day: 4 });
    assert.deepEqual(rfc5322CalendarDate('Wed, 5 Mar 25 10:00 GMT'), { year: 2025, month: 3, day: 5 });
    assert.deepEqual(rfc5322CalendarDate('Thu,\r\n 6 Mar 125 10:00 GMT'), { year: 2025, month: 3, day: 6 });
  });

  it('gives null for text that is no date', () => {
    assert.equal(rfc5322CalendarDate('yesterday'), null);
    assert.equal(rfc5322CalendarDate('40 Nov 2025 10:00 +0000'), null);
    assert.equal(rfc5322CalendarDate('2 Foo 2025 10:00 +0000'), null);
  });
});
