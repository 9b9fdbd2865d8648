// A hostile script cannot stall delivery: the step and action budgets end it in keep, the :matches
// matcher is polynomial, and random or mutated scripts never make compileSieve or runSieve throw.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSieve, runSieve, DEFAULT_BUDGET } from '../src/index.js';
import { compile, ENVELOPE, KEEP, message, run } from './fixtures.js';

const elapsed = (f: () => void): number => {
  const start = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - start) / 1e6;
};

describe('budget', () => {
  it('a pathological :matches pattern "*a*a*a…b" against a long header ends quickly (no exponential backtracking)', () => {
    const pattern = `${'*a'.repeat(200)}*b`;
    const m = message([`Subject: ${'a'.repeat(2000)}`]);
    let result = run(`if header :matches "Subject" "${pattern}" { discard; }`, { message: m });
    const ms = elapsed(() => {
      result = run(`if header :matches "Subject" "${pattern}" { discard; }`, { message: m });
    });
    assert.deepEqual(result.actions, [KEEP]);
    assert.equal(result.error, null, 'within the default budget: an honest no-match');
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it('too much :matches work for the budget is an error that keeps (charged before the work)', () => {
    const pattern = `${'*?'.repeat(2000)}*b`;
    const m = message([`Subject: ${'a'.repeat(20000)}`]);
    let result = run(`require "fileinto"; fileinto "X"; if header :matches "Subject" "${pattern}" { discard; }`, { message: m });
    const ms = elapsed(() => {
      result = run(`require "fileinto"; fileinto "X"; if header :matches "Subject" "${pattern}" { discard; }`, { message: m });
    });
    assert.deepEqual(result.actions, [KEEP]);
    assert.match(result.error ?? '', /budget/);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it('big variable expansions are cut and charged', () => {
    const doubling = Array.from({ length: 40 }, () => 'set "v" "${v}${v}${v}${v}";').join('\n');
    const result = run(`require "variables"; set "v" "xxxxxxxxxxxxxxxx";\n${doubling}\nif string :matches "\${v}" "*x*x*x*x*x*y" { discard; }`, { message: message(['Subject: s']) });
    assert.deepEqual(result.actions, [KEEP]);
  });

  it('a script over its step budget ends in keep with the reason', () => {
    const many = 'if header :contains "Subject" "zzz" { discard; }\n'.repeat(500);
    const result = runSieve(compile(many), { message: message(['Subject: s']), envelope: ENVELOPE, budget: { steps: 300 } });
    assert.deepEqual(result.actions, [KEEP]);
    assert.match(result.error ?? '', /300 steps/);
  });

  it('too many actions end in keep', () => {
    const result = runSieve(compile('require ["fileinto"];' + Array.from({ length: 100 }, (_, i) => `fileinto "F${i}";`).join('')), {
      message: message(['Subject: s']),
      envelope: ENVELOPE,
    });
    assert.deepEqual(result.actions, [KEEP]);
    assert.match(result.error ?? '', new RegExp(`${DEFAULT_BUDGET.actions} actions`));
  });
});

// A small deterministic PRNG (mulberry32) so the fuzz runs are repeatable.
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [
  'require ["fileinto","variables","imap4flags","relational","comparator-i;ascii-numeric","body","date","index","editheader","vacation","envelope","subaddress","mailbox","copy","reject","encoded-character"];',
  'if header :matches "Subject" "[*] *" { fileinto "lists.${1}"; stop; }',
  'if address :detail :is "to" "x" { addflag "\\\\Seen"; }',
  'if header :value "ge" :comparator "i;ascii-numeric" "X-Spam-Score" "5" { discard; } else { keep; }',
  'if body :content "text" :contains ["a","b"] { redirect :copy "a@example.com"; }',
  'if date :zone "+0100" "date" "hour" "09" { set :upper "x" "${hex:41}"; }',
  'vacation :days 3 :addresses ["a@example.com"] text:\nback\n.\n;',
  'if anyof (not exists "x", allof (true, false)) { deleteheader :index 1 "Received"; addheader "X-A" "b"; }',
  'if envelope :all :matches "from" "*@*" { fileinto :create "${2}"; }',
  'if hasflag :count "ge" :comparator "i;ascii-numeric" "1" { reject "no"; }',
];
const ALPHABET = ['"', '[', ']', '{', '}', '(', ')', ',', ';', ':', '*', '?', '\\', '${', '}', '\n', ' ', 'if', 'text:', '.', '#', '/*', '*/', '0', '9K', ':is', ':matches', 'x'];

describe('fuzz', () => {
  const message1 = message(['From: A <a+tag@example.com>', 'To: b@example.com', 'Subject: [list] hello', 'Date: Tue, 1 Apr 1997 09:06:31 -0800', 'X-Spam-Score: 7'], 'body text\r\n');
  it('2,000 mutated scripts: compileSieve never throws, runSieve never throws and stays within budget', () => {
    const random = prng(0x5eed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    let compiled = 0;
    let slowest = 0;
    for (let n = 0; n < 2000; n++) {
      let source = SEEDS[0]! + '\n' + Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(SEEDS.slice(1))).join('\n');
      const mutations = Math.floor(random() * 6);
      for (let k = 0; k < mutations; k++) {
        const at = Math.floor(random() * source.length);
        const op = random();
        if (op < 0.4) source = source.slice(0, at) + pick(ALPHABET) + source.slice(at);
        else if (op < 0.8) source = source.slice(0, at) + source.slice(at + 1 + Math.floor(random() * 5));
        else source = source.slice(0, at) + source.slice(at).replace(/"[^"]*"/, '"' + pick(ALPHABET).repeat(50) + '"');
      }
      const result = compileSieve(source);
      if (!result.ok) {
        assert.ok(result.error.line >= 1 && result.error.column >= 1, source);
        continue;
      }
      compiled++;
      let out = runSieve(result.script, { message: message1, envelope: ENVELOPE });
      slowest = Math.max(
        slowest,
        elapsed(() => {
          out = runSieve(result.script, { message: message1, envelope: { from: 'a+tag@example.com', to: 'b@example.com' }, budget: { steps: 200_000 } });
        }),
      );
      assert.ok(out.actions.length >= 1 || out.error === null, source);
      if (out.error) assert.deepEqual(out.actions, [KEEP]);
    }
    assert.ok(compiled > 100, `only ${compiled} of 2000 compiled`);
    // A 200,000-step budget is well under a millisecond of work; a second allows for a loaded machine.
    assert.ok(slowest < 1000, `slowest run took ${slowest} ms`);
  });

  it('500 random byte strings never make compileSieve throw', () => {
    const random = prng(42);
    for (let n = 0; n < 500; n++) {
      const source = Array.from({ length: Math.floor(random() * 200) }, () => String.fromCharCode(Math.floor(random() * 128))).join('');
      assert.doesNotThrow(() => compileSieve(source));
    }
  });
});
