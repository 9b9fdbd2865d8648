// Compile errors carry the line and column of the offending token (what ManageSieve's PUTSCRIPT reports).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSieve } from '../src/index.js';

const errors: [string, string, number, number, RegExp][] = [
  ['unknown command', 'keep;\nfrobnicate;', 2, 1, /unknown command "frobnicate"/],
  ['unknown test', 'if frob "x" { keep; }', 1, 4, /unknown test "frob"/],
  ['unknown capability', 'require ["fileinto", "x-nope"];', 1, 9, /unknown capability "x-nope"/],
  ['capability used without require', 'fileinto "Junk";', 1, 1, /needs require "fileinto"/],
  ['extension tag without require', 'require "fileinto";\nfileinto :copy "A";', 2, 10, /:copy needs require "copy"/],
  ['require after a command', 'keep;\nrequire "fileinto";', 2, 1, /require must come before/],
  ['elsif without if', 'keep;\nelsif true { stop; }', 2, 1, /elsif must follow if/],
  ['else after else', 'if true { stop; } else { stop; }\nelse { keep; }', 2, 1, /else must follow/],
  ['if without test', 'if { keep; }', 1, 1, /exactly one test/],
  ['if without block', 'if true;', 1, 1, /needs a block/],
  ['missing semicolon (the next word reads as a test)', 'keep\ndiscard;', 2, 1, /keep takes no test/],
  ['missing semicolon at the end', 'keep', 1, 5, /expected ";" or "\{" after keep but found end of script/],
  ['unterminated string', 'reject "oops;', 1, 8, /unterminated quoted string/],
  ['unterminated text:', 'require "reject";\nreject text:\nno end', 2, 8, /unterminated text:/],
  ['unterminated block', 'if true {\n keep;', 2, 7, /expected "\}"/],
  ['wrong argument type', 'require "fileinto";\nfileinto 42;', 2, 10, /must be a string, not a number/],
  ['string list where a string is needed', 'redirect ["a@example.com", "b@example.com"];', 1, 10, /must be a string, not a string list/],
  ['too many arguments', 'keep "x";', 1, 6, /takes 0 positional arguments, not 1/],
  ['too few arguments', 'if header "Subject" { keep; }', 1, 11, /takes 2 positional arguments, not 1/],
  ['unknown tag', 'if header :contain "Subject" "x" { keep; }', 1, 11, /no tagged argument :contain/],
  ['two match types', 'if header :is :contains "a" "b" { keep; }', 1, 15, /:contains cannot be used with :is/],
  ['tag missing its argument', 'if header :comparator :is "a" "b" { keep; }', 1, 11, /:comparator takes a string/],
  ['unknown comparator', 'if header :comparator "i;foo" "a" "b" { keep; }', 1, 11, /unknown comparator "i;foo"/],
  ['numeric comparator not required', 'if header :comparator "i;ascii-numeric" "a" "1" { keep; }', 1, 11, /needs require "comparator-i;ascii-numeric"/],
  ['bad relational operator', 'require "relational";\nif header :value "gg" "a" "1" { keep; }', 2, 11, /:value needs one of/],
  ['size without :over/:under', 'if size 10 { keep; }', 1, 4, /size needs :over or :under/],
  ['bad number', 'if size :over 10X { keep; }', 1, 17, /bad number/],
  ['bad redirect address', 'redirect "not an address";', 1, 10, /redirect needs an address/],
  ['bad :zone', 'require "date";\nif currentdate :zone "CET" "hour" "1" { keep; }', 2, 16, /:zone needs/],
  ['unknown date part', 'require "date";\nif currentdate "fortnight" "1" { keep; }', 2, 16, /unknown date part/],
  [':last without :index', 'require "index";\nif header :last "a" "b" { keep; }', 2, 11, /:last needs :index/],
  ['tag after positional', 'if header "a" :is "b" { keep; }', 1, 15, /must come before the positional/],
  ['stray character', 'keep; @', 1, 7, /unexpected character "@"/],
  ['unterminated comment', 'keep; /* never closed', 1, 7, /unterminated \/\* comment/],
];

describe('compile errors with line and column', () => {
  for (const [what, source, line, column, message] of errors) {
    it(what, () => {
      const result = compileSieve(source);
      assert.equal(result.ok, false, 'compiled');
      if (result.ok) return;
      assert.match(result.error.message, message);
      assert.deepEqual([result.error.line, result.error.column], [line, column], result.error.message);
    });
  }

  it('nesting deeper than the limit is refused, not a stack overflow', () => {
    const deep = `${'if true { '.repeat(10_000)}keep;${' }'.repeat(10_000)}`;
    const result = compileSieve(deep);
    assert.equal(result.ok, false);
    const notNot = `if ${'not '.repeat(100_000)}true { keep; }`;
    assert.equal(compileSieve(notNot).ok, false);
  });

  it('accepts CRLF scripts, bracket comments and K/M/G numbers', () => {
    assert.equal(compileSieve('/* a\r\n comment */\r\nif size :over 1G { discard; }\r\n# end\r\n').ok, true);
  });
});

describe('case-insensitive names', () => {
  it('commands, tests, tags and comparator names', () => {
    assert.equal(compileSieve('IF HEADER :CONTAINS :COMPARATOR "I;OCTET" "Subject" "x" { KEEP; } ELSE { DISCARD; }').ok, true);
  });
});
