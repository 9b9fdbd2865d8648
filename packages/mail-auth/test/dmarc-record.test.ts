// The DMARC record's tags as a report's policy_published gives them (RFC 7489 §6.3).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDmarcRecord } from '../src/index.js';

test('tags as published, case-insensitive, each rua= URI kept with its "!size"', () => {
  assert.deepEqual(parseDmarcRecord('v=DMARC1; P=Quarantine; sp=none; pct=25; adkim=s; aspf=S; fo=1:d; rua=mailto:a@example.net!10m, mailto:b@example.org'), {
    p: 'quarantine',
    sp: 'none',
    pct: 25,
    adkim: 's',
    aspf: 's',
    fo: '1:d',
    rua: ['mailto:a@example.net!10m', 'mailto:b@example.org'],
  });
});

test('the RFC\'s defaults: sp= is p=, pct=100, relaxed alignment, fo=0; an unknown p= counts as none (§6.6.3), pct is kept within 0-100', () => {
  assert.deepEqual(parseDmarcRecord('v=DMARC1; p=reject'), { p: 'reject', sp: 'reject', pct: 100, adkim: 'r', aspf: 'r', fo: '0', rua: [] });
  assert.deepEqual(parseDmarcRecord('v=DMARC1; p=bogus; pct=250; adkim=x'), { p: 'none', sp: 'none', pct: 100, adkim: 'r', aspf: 'r', fo: '0', rua: [] });
});
