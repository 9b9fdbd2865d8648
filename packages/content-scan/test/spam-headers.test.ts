// The X-Spam-* header lines, in SpamAssassin's format.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spamHeaders } from '../src/spam-headers.js';

describe('X-Spam-* header lines', () => {
  it('writes flag, score and status with one decimal, as SpamAssassin does', () => {
    assert.equal(
      spamHeaders({ flagged: true, score: 15.25, threshold: 5, tests: ['MISSING_DATE', 'GTUBE'] }),
      'X-Spam-Flag: YES\r\nX-Spam-Score: 15.3\r\nX-Spam-Status: Yes, score=15.3 required=5.0 tests=GTUBE,MISSING_DATE\r\n',
    );
    assert.equal(spamHeaders({ flagged: false, score: -1.04, threshold: 6, tests: [] }), 'X-Spam-Flag: NO\r\nX-Spam-Score: -1.0\r\nX-Spam-Status: No, score=-1.0 required=6.0 tests=none\r\n');
  });

  it('folds a long tests list onto tab-indented lines of at most 78 characters', () => {
    const tests = Array.from({ length: 30 }, (_, i) => `SOME_LONGER_RULE_NAME_${String(i).padStart(2, '0')}`);
    const headers = spamHeaders({ flagged: true, score: 7, threshold: 5, tests });
    const lines = headers.trimEnd().split('\r\n');
    for (const line of lines) assert.ok(line.length <= 78, JSON.stringify(line));
    assert.ok(lines.slice(3).every((line) => line.startsWith('\t')));
    assert.ok(lines.length > 5);
    const unfolded = headers.replace(/\r\n\t/g, '');
    assert.match(unfolded, new RegExp(`tests=${tests.join(',')}\\r\\n$`));
  });

  it('drops duplicate names and anything that is not a rule name, so a scanner cannot inject a header', () => {
    const headers = spamHeaders({ flagged: true, score: 9, threshold: 5, tests: ['B_RULE', 'A_RULE', 'B_RULE', 'EVIL\r\nX-Spam-Flag: NO', 'with space', ''] });
    assert.equal(headers, 'X-Spam-Flag: YES\r\nX-Spam-Score: 9.0\r\nX-Spam-Status: Yes, score=9.0 required=5.0 tests=A_RULE,B_RULE\r\n');
  });
});
