/** The facts the X-Spam-* lines carry. */
export interface SpamHeaderFacts {
  flagged: boolean;
  score: number;
  threshold: number;
  tests: string[];
}

/** SpamAssassin prints scores with one decimal ("%2.1f"). */
export function formatScore(score: number): string {
  return score.toFixed(1);
}

// Rule and symbol names as SpamAssassin and rspamd write them; anything else never reaches a header.
const TEST_NAME = /^[A-Za-z0-9_.:-]{1,100}$/;

/** `head` then comma-separated `items`, folded before lines pass 78 columns (RFC 5322 §2.1.1, §2.2.3). */
function foldList(head: string, items: string[]): string {
  const lines: string[] = [];
  let line = head;
  items.forEach((item, i) => {
    const piece = i < items.length - 1 ? `${item},` : item;
    // The first item stays beside "tests=", as SpamAssassin writes it.
    if (i > 0 && line.length + piece.length > 78) {
      lines.push(line);
      line = '\t';
    }
    line += piece;
  });
  lines.push(line);
  return lines.join('\r\n');
}

/**
 * The header lines to prepend, in SpamAssassin's format:
 * `X-Spam-Flag: YES`, `X-Spam-Score: 15.3` and
 * `X-Spam-Status: Yes, score=15.3 required=5.0 tests=A,B` (folded when long).
 */
export function spamHeaders(facts: SpamHeaderFacts): string {
  const tests = [...new Set(facts.tests.filter((name) => TEST_NAME.test(name)))].sort();
  const score = formatScore(facts.score);
  const status = foldList(`X-Spam-Status: ${facts.flagged ? 'Yes' : 'No'}, score=${score} required=${formatScore(facts.threshold)} tests=`, tests.length > 0 ? tests : ['none']);
  return `X-Spam-Flag: ${facts.flagged ? 'YES' : 'NO'}\r\nX-Spam-Score: ${score}\r\n${status}\r\n`;
}
