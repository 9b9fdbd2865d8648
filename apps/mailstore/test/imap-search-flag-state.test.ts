// Which SEARCH queries are answered from UID, MODSEQ and flags alone (store.listMessageFlags, no headers or parts read).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flagStateSuffices, type SearchNode } from '../src/imap/search-match.js';

const unseen: SearchNode = { key: 'flag', value: '\\Seen', exists: false };
const flagged: SearchNode = { key: 'flag', value: '\\Flagged', exists: true };
const subject: SearchNode = { key: 'header', header: 'subject', value: 'report' };

test('flag, UID, MODSEQ and ALL keys, and NOT/OR/AND of them, need only the flag state (RFC 3501 §6.4.4)', () => {
  for (const query of [
    [unseen],
    [{ key: 'all' }],
    [{ key: 'charset', value: 'UTF-8' }, unseen],
    [{ key: 'uid', value: [1, 2, 3] }, flagged],
    [{ key: 'modseq', value: 7 }],
    [{ key: 'not', value: flagged }],
    [{ key: 'or', value: [unseen, [flagged, { key: 'uid', value: [4] }]] }],
  ] as SearchNode[][]) {
    assert.equal(flagStateSuffices(query), true, JSON.stringify(query));
  }
});

test('a key on headers, body, size or dates anywhere in the query needs the whole records', () => {
  for (const query of [
    [subject],
    [unseen, subject],
    [{ key: 'not', value: { key: 'body', value: 'x' } }],
    [{ key: 'or', value: [unseen, { key: 'size', operator: '>', value: 100 }] }],
    [{ key: 'internaldate', operator: '>=', value: '1-Feb-2025' }],
    [{ key: 'date', operator: '<', value: '1-Feb-2025' }],
    [{ key: 'text', value: 'x' }],
  ] as SearchNode[][]) {
    assert.equal(flagStateSuffices(query), false, JSON.stringify(query));
  }
});
