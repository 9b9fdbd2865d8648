import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, parseSize } from '../src/index.js';

const K = 1024;

test('parses bytes and K/M/G/T sizes, 1024-based, any case, with an optional B', () => {
  const table: Array<[string | number, number]> = [
    ['0', 0],
    ['1', 1],
    ['1000', 1000],
    [52428800, 52428800],
    ['50M', 50 * K * K],
    ['50m', 50 * K * K],
    ['512k', 512 * K],
    ['512K', 512 * K],
    ['512KB', 512 * K],
    ['10MB', 10 * K * K],
    ['10mb', 10 * K * K],
    ['1.5G', 1.5 * K * K * K],
    ['2T', 2 * K ** 4],
    ['100B', 100],
    [' 1 G ', K * K * K],
    ['1.1K', 1126],
  ];
  for (const [input, bytes] of table) assert.equal(parseSize(input), bytes, `parseSize(${JSON.stringify(input)})`);
});

test('refuses anything else with one line saying what is accepted', () => {
  for (const input of ['', 'M', '50Q', '-5M', '1.5', '5 M B', '50MiB', 'ten', '1e3', '0x10', '50M50', '9000T', -1, 1.5, Number.NaN]) {
    assert.throws(
      () => parseSize(input),
      (err: Error) => {
        assert.doesNotMatch(err.message, /\n/);
        assert.match(err.message, /is (not a size|too large to be a size) \(expected /);
        if (err.message.includes('not a size')) assert.match(err.message, /K, M, G or T suffix/);
        return true;
      },
      `parseSize(${JSON.stringify(input)}) should throw`,
    );
  }
});

test('formats sizes in the largest unit, and the result parses back', () => {
  const table: Array<[number, string]> = [
    [0, '0B'],
    [512, '512B'],
    [1024, '1K'],
    [1536, '1.5K'],
    [52428800, '50M'],
    [1.5 * K * K * K, '1.5G'],
    [3 * K ** 4, '3T'],
    [K * K - 1, '1M'],
  ];
  for (const [bytes, text] of table) assert.equal(formatSize(bytes), text, `formatSize(${bytes})`);
  for (const bytes of [0, 512, 1024, 1536, 52428800, 1.5 * K * K * K]) assert.equal(parseSize(formatSize(bytes)), bytes);
});
