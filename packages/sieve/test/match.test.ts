// RFC 5228 §2.7.1 :matches and RFC 5229 §3.2 match groups, checked against a regular-expression reference.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Budget } from '../src/budget.js';
import { globMatch } from '../src/match.js';

/** Reference: "*" as a lazy (.*?), "?" as (.), anchored — the leftmost-shortest groups RFC 5229's "[*] *" example shows. */
function reference(text: string, pattern: string): string[] | null {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '*') source += '(.*?)';
    else if (c === '?') source += '(.)';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp(`^${source}$`, 's').exec(text);
  return m ? [...m] : null;
}

describe(':matches', () => {
  const table: [string, string, string[] | null][] = [
    ['[acme-users] [fwd] version 1.0 is out', '[*] *', ['[acme-users] [fwd] version 1.0 is out', 'acme-users', '[fwd] version 1.0 is out']],
    ['Example list <mylist@example.com>', '*<*@*', ['Example list <mylist@example.com>', 'Example list ', 'mylist', 'example.com>']],
    ['abc', 'a?c', ['abc', 'b']],
    ['abc', '???', ['abc', 'a', 'b', 'c']],
    ['ab', '???', null],
    ['', '*', ['', '']],
    ['a*b', 'a\\*b', ['a*b']],
    ['axb', 'a\\*b', null],
    ['aXbXc', '*X*', ['aXbXc', 'a', 'bXc']],
    ['aaa', '*a', ['aaa', 'aa']],
  ];
  for (const [text, pattern, groups] of table) {
    it(`"${pattern}" against "${text}"`, () => assert.deepEqual(globMatch(text, pattern, false, new Budget()), groups));
  }

  it('i;ascii-casemap folds ASCII only and keeps the original text in the groups', () => {
    assert.deepEqual(globMatch('Hello World', 'hello *', true, new Budget()), ['Hello World', 'World']);
    assert.equal(globMatch('É', 'é', true, new Budget()), null);
  });

  it('agrees with the reference on 3,000 random cases (both the star-only and the "?" paths)', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pick = (s: string) => s[Math.floor(random() * s.length)]!;
    for (let n = 0; n < 3000; n++) {
      const text = Array.from({ length: Math.floor(random() * 10) }, () => pick('abX')).join('');
      const pattern = Array.from({ length: Math.floor(random() * 6) }, () => pick(random() < 0.5 ? '*?' : 'abX')).join('');
      assert.deepEqual(globMatch(text, pattern, false, new Budget()), reference(text, pattern), `"${pattern}" against "${text}"`);
    }
  });
});
