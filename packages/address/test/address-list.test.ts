import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAddressList, type AddressListEntry } from '../src/index.js';

const box = (name: string | null, localPart: string | null, domain: string | null, route: string | null = null): AddressListEntry => ({
  kind: 'mailbox',
  name,
  route,
  localPart,
  domain,
});
const group = (name: string): AddressListEntry => ({ kind: 'group', name });
const end: AddressListEntry = { kind: 'group-end' };

describe('parseAddressList (RFC 5322 §3.4)', () => {
  it('reads the RFC 5322 Appendix A.1.2 list: quoted names, bare addr-specs and a dotted phrase', () => {
    assert.deepEqual(parseAddressList('Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>'), [
      box('Mary Smith', 'mary', 'x.test'),
      box(null, 'jdoe', 'example.org'),
      box('Who?', 'one', 'y.test'),
    ]);
    assert.deepEqual(parseAddressList('<boss@nil.test>, "Giant; \\"Big\\" Box" <sysservices@example.net>'), [
      box(null, 'boss', 'nil.test'),
      box('Giant; "Big" Box', 'sysservices', 'example.net'),
    ]);
    assert.deepEqual(parseAddressList('John Q. Public <JQP@x.test>'), [box('John Q. Public', 'JQP', 'x.test')]);
  });

  it('reads groups (Appendix A.1.3), empty ones included', () => {
    assert.deepEqual(parseAddressList('A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;'), [
      group('A Group'),
      box('Ed Jones', 'c', 'a.test'),
      box(null, 'joe', 'where.test'),
      box('John', 'jdoe', 'one.test'),
      end,
    ]);
    assert.deepEqual(parseAddressList('Undisclosed recipients:;'), [group('Undisclosed recipients'), end]);
    assert.deepEqual(parseAddressList('group: a@b, c@d;, x@y'), [group('group'), box(null, 'a', 'b'), box(null, 'c', 'd'), end, box(null, 'x', 'y')]);
  });

  it('drops comments and CFWS around the parts of an addr-spec (Appendix A.5, §3.4.1)', () => {
    assert.deepEqual(parseAddressList('Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>'), [box('Pete', 'pete', 'silly.test')]);
    assert.deepEqual(parseAddressList('<user (c)@ (c) example.org>'), [box(null, 'user', 'example.org')]);
    assert.deepEqual(parseAddressList('user @ example . org'), [box(null, 'user', 'example.org')]);
  });

  it('takes the name of a bare addr-spec from its comment, as RFC 822 writers put it', () => {
    assert.deepEqual(parseAddressList('bare@example.org (Comment Name)'), [box('Comment Name', 'bare', 'example.org')]);
  });

  it('keeps an obsolete source route (§4.4 obs-route) apart from the addr-spec', () => {
    assert.deepEqual(parseAddressList('<@relay1.example,@relay2.example:user@example.org>'), [box(null, 'user', 'example.org', '@relay1.example,@relay2.example')]);
    assert.deepEqual(parseAddressList('Joe <@a.test : joe@b.test>'), [box('Joe', 'joe', 'b.test', '@a.test')]);
  });

  it('keeps a quoted local part and a domain literal as written (unquoted)', () => {
    assert.deepEqual(parseAddressList('"odd local"@example.org, x@[192.0.2.1]'), [box(null, 'odd local', 'example.org'), box(null, 'x', '[192.0.2.1]')]);
  });

  it('reports the parts a broken address lacks as null, and never throws', () => {
    assert.deepEqual(parseAddressList('nodomain, @, "only phrase" <>'), [box(null, 'nodomain', null), box(null, null, null), box('only phrase', null, null)]);
    assert.deepEqual(parseAddressList(''), []);
    assert.deepEqual(parseAddressList(' , ,'), []);
    for (const junk of ['<', '"', '(', '[', ':', ';', '<@', 'a <b', '"a\\', '((((', 'a:b:c', '>>>']) assert.ok(Array.isArray(parseAddressList(junk)), junk);
  });

  it('treats a group start inside a group as part of the outer group (RFC 5322 has no nested groups) and closes an open group', () => {
    assert.deepEqual(parseAddressList('g1:g2:inner@h.example;;'), [group('g1'), box(null, 'inner', 'h.example'), end]);
    assert.deepEqual(parseAddressList('open: a@b'), [group('open'), box(null, 'a', 'b'), end]);
  });

  it('parses groups nested 100,000 deep in linear time without recursion', () => {
    const depth = 100_000;
    const started = process.hrtime.bigint();
    const parsed = parseAddressList(`${'g:'.repeat(depth)}a@b${';'.repeat(depth)}`);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.deepEqual(parsed, [group('g'), box(null, 'a', 'b'), end]);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
});
