// Table tests for the IMAP pieces that need no server: names, selectors, dates, cached structure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageSelector } from '../src/imap/uid-sets.js';
import { baseSubject, parseSortCriteria } from '../src/imap/sort.js';
import { invalidMailboxName } from '../src/imap/mailboxes.js';
import { searchDay, searchText, unsupportedCharset } from '../src/imap/search-match.js';
import { cachedStructure, computeStructure, structureMeta } from '../src/imap/structure.js';
import { multipartMessage } from './imap-messages.js';

test('mailbox names: wildcards, control characters, empty levels and excess length are refused', () => {
  for (const good of ['Projects', 'Archive/2026', 'Entwürfe', 'INBOX/Sub folder', 'a'.repeat(500)]) assert.equal(invalidMailboxName(good), null, good);
  for (const bad of ['a*b', 'a%b', 'tab\there', 'a//b', ' /x', 'x/ ', 'a'.repeat(513), Array.from({ length: 17 }, () => 'x').join('/')]) {
    assert.notEqual(invalidMailboxName(bad), null, JSON.stringify(bad));
  }
});

test('a page of consecutive UIDs becomes a range, any other page the UID list', () => {
  assert.deepEqual(pageSelector([5, 6, 7, 8]), { min: 5, max: 8 });
  assert.deepEqual(pageSelector([1, 3, 4]), { uids: [1, 3, 4] });
  assert.deepEqual(pageSelector([9]), { min: 9, max: 9 });
});

test('RFC 3501 search dates are day numbers, month names in any case', () => {
  assert.equal(searchDay('1-Feb-1994'), Date.UTC(1994, 1, 1) / 86_400_000);
  assert.equal(searchDay('21-nov-2025'), Date.UTC(2025, 10, 21) / 86_400_000);
  assert.throws(() => searchDay('2025-11-21'));
  assert.throws(() => searchDay('21-Foo-2025'));
});

test('search strings arrive as binary strings and are compared as lower-case UTF-8', () => {
  assert.equal(searchText(Buffer.from('Grüße', 'utf8').toString('binary')), 'grüße');
  assert.equal(searchText('MiXeD'), 'mixed');
});

test('CHARSET: UTF-8 and US-ASCII are read, anything else is named, also inside NOT and OR', () => {
  assert.equal(unsupportedCharset([{ key: 'charset', value: 'utf-8' }, { key: 'all' }]), null);
  assert.equal(unsupportedCharset([{ key: 'charset', value: 'ISO-2022-JP' }]), 'ISO-2022-JP');
  assert.equal(unsupportedCharset([{ key: 'not', value: { key: 'charset', value: 'KOI8-R' } }]), 'KOI8-R');
});

test('BODYSTRUCTURE and ENVELOPE survive the JSON cache in message meta byte for byte', () => {
  const structure = computeStructure(multipartMessage());
  const meta = JSON.parse(JSON.stringify(structureMeta(structure, { other: 1 }))) as Record<string, unknown>;
  assert.equal(meta.other, 1, 'other meta is kept');
  const cached = cachedStructure({ meta });
  assert.deepEqual(cached, structure);
  assert.equal(structure.envelope[1], 'Grüße aus Köln');
  assert.equal(cachedStructure({ meta: { imap: { v: 0 } } }), null, 'an old cache version is recomputed');
  assert.equal(cachedStructure({ meta: null }), null);
});

test('RFC 5256 §2.1 base subject: leaders, blobs, trailers and the [fwd: …] wrapper go; case and inner text stay', () => {
  const table: [string, string][] = [
    ['Hello', 'Hello'],
    ['Re: Hello', 'Hello'],
    ['RE:   Hello', 'Hello'],
    ['re: Re: fwd: Hello', 'Hello'],
    ['Fw: Hello', 'Hello'],
    ['Re[2]: Hello', 'Hello'],
    ['Re [2]: Hello', 'Hello'],
    ['[list] Re: Hello', 'Hello'],
    ['[list] [other] Hello', 'Hello'],
    ['Re: [list] Re: Hello (fwd)', 'Hello'],
    ['Hello (fwd) (FWD)  ', 'Hello'],
    ['[fwd: Re: Hello]', 'Hello'],
    ['[Fwd: [fwd: Hello]]', 'Hello'],
    ['Hello\t  world', 'Hello world'],
    // A blob is removed only when text remains after it (step 4).
    ['[only a blob]', '[only a blob]'],
    ['Re: [only a blob]', '[only a blob]'],
    // "Re" inside a word or without its colon is text.
    ['Regarding: x', 'Regarding: x'],
    ['Re Hello', 'Re Hello'],
    ['', ''],
  ];
  for (const [subject, base] of table) assert.equal(baseSubject(subject), base, JSON.stringify(subject));
});

test('SORT criteria: REVERSE qualifies the next key; an unknown key, a lone REVERSE or an empty list is refused', () => {
  const atom = (value: string) => ({ type: 'ATOM', value });
  assert.deepEqual(parseSortCriteria([atom('REVERSE'), atom('date'), atom('SUBJECT')]), [
    { key: 'DATE', reverse: true },
    { key: 'SUBJECT', reverse: false },
  ]);
  for (const bad of [[], [atom('REVERSE')], [atom('THREAD')], [atom('REVERSE'), atom('REVERSE'), atom('DATE')]]) assert.throws(() => parseSortCriteria(bad));
  assert.throws(() => parseSortCriteria(atom('DATE')));
});
