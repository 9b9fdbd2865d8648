// THREAD (RFC 5256 §3): the ORDEREDSUBJECT and REFERENCES algorithms and the `* THREAD` wording, as tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subjectBase } from '../src/imap/sort.js';
import { orderedSubjectThreads } from '../src/imap/thread-ordered-subject.js';
import { referencesThreads } from '../src/imap/thread-references.js';
import { threadLine, type ThreadMessage, type ThreadNode } from '../src/imap/thread-tree.js';

interface Spec {
  id?: string;
  refs?: string[];
  subject?: string;
  /** Sent date as minutes after the epoch; defaults to the UID (so UID order is date order). */
  sent?: number;
}

/** Messages numbered from 1 in the order given (UID = sequence number = position + 1). */
function messages(...specs: Spec[]): ThreadMessage[] {
  return specs.map((spec, position) => ({
    uid: position + 1,
    position,
    sent: (spec.sent ?? position + 1) * 60_000,
    messageId: spec.id === undefined ? null : `<${spec.id}@example.org>`,
    references: (spec.refs ?? []).map((ref) => `<${ref}@example.org>`),
    subject: subjectBase(spec.subject ?? 'Topic'),
  }));
}

function line(roots: ThreadNode[]): string {
  return threadLine(roots, (message) => message.uid);
}

test('RFC 5256 §2.1: a reply or forward is a message whose base subject lost a "Re:", "Fwd:", "(fwd)" or "[fwd: …]"', () => {
  const table: [string, string, boolean][] = [
    ['Hello', 'Hello', false],
    ['Re: Hello', 'Hello', true],
    ['Fw: Hello', 'Hello', true],
    ['[list] Hello', 'Hello', false],
    ['[list] Re: Hello', 'Hello', true],
    ['Hello (fwd)', 'Hello', true],
    ['[fwd: Hello]', 'Hello', true],
    ['  Hello  ', 'Hello', false],
  ];
  for (const [subject, base, replyOrForward] of table) assert.deepEqual(subjectBase(subject), { base, replyOrForward }, subject);
});

test('RFC 5256 §4/§5: thread-list wording: chains flat, several children nested, a dummy without a number', () => {
  const leaf = (uid: number, ...children: ThreadNode[]): ThreadNode => ({ message: messages(...Array.from({ length: uid }, () => ({})))[uid - 1]!, children });
  assert.equal(line([]), '* THREAD');
  assert.equal(line([leaf(1), leaf(2)]), '* THREAD (1)(2)');
  assert.equal(line([leaf(1, leaf(2, leaf(3)))]), '* THREAD (1 2 3)');
  assert.equal(line([leaf(1, leaf(2), leaf(3, leaf(4)))]), '* THREAD (1 (2)(3 4))');
  assert.equal(line([{ message: null, children: [leaf(3), leaf(5, leaf(6))] }]), '* THREAD ((3)(5 6))');
  // RFC 5256 §4's example: (2)(3 6 (4 23)(44 7 96)).
  assert.equal(line([leaf(2), leaf(3, leaf(6, leaf(4, leaf(23)), leaf(44, leaf(7, leaf(96)))))]), '* THREAD (2)(3 6 (4 23)(44 7 96))');
});

test('RFC 5256 §3 ORDEREDSUBJECT: one thread per base subject, the first by sent date its root, the rest its children', () => {
  const threads = orderedSubjectThreads(
    messages(
      { subject: 'Re: lunch', sent: 5 },
      { subject: 'lunch', sent: 3 },
      { subject: 'budget', sent: 4 },
      { subject: 'Fwd: lunch', sent: 9 },
      { subject: 'LUNCH (fwd)', sent: 7 },
      { subject: 'Re: budget', sent: 6 },
      { subject: 'alone', sent: 1 },
    ),
  );
  assert.equal(line(threads), '* THREAD (7)(2 (1)(5)(4))(3 6)');
});

test('RFC 5256 §3 REFERENCES: parents from References, In-Reply-To when there is none, siblings by sent date', () => {
  const threads = referencesThreads(
    messages(
      { id: 'a', subject: 'plan' },
      { id: 'b', refs: ['a'], subject: 'Re: plan', sent: 10 },
      { id: 'c', refs: ['a'], subject: 'Re: plan', sent: 5 },
      { id: 'd', refs: ['a', 'b'], subject: 'Re: plan' },
      { id: 'e', subject: 'other' },
    ),
  );
  assert.equal(line(threads), '* THREAD (1 (3)(2 4))(5)');
});

test('RFC 5256 §3 REFERENCES step 1A/4: a missing parent is a dummy, pruned under a thread and kept at the top over siblings', () => {
  // 2 and 3 reply to the missing x: a dummy at the top holds them; 5 replies through missing y under 4.
  const threads = referencesThreads(
    messages(
      { id: 'p', subject: 'first' },
      { id: 'q', refs: ['x'], subject: 'Re: lost' },
      { id: 'r', refs: ['x'], subject: 'Re: lost' },
      { id: 's', subject: 'third' },
      { id: 't', refs: ['s', 'y'], subject: 'Re: third' },
      { id: 'u', refs: ['z'], subject: 'single' },
    ),
  );
  assert.equal(line(threads), '* THREAD (1)((2)(3))(4 5)(6)');
});

test('RFC 5256 §3 REFERENCES step 1: loops in References are not made, the message keeps its own place', () => {
  // b says a is its parent; a says b is its parent; c references itself.
  const threads = referencesThreads(
    messages({ id: 'a', refs: ['b'], subject: 'loop' }, { id: 'b', refs: ['a'], subject: 'Re: loop' }, { id: 'c', refs: ['c'], subject: 'self' }, { id: 'd', refs: ['d', 'e', 'd'], subject: 'twice' }),
  );
  // a joined b (from a's References), then b's own References would make a loop: b stays a's parent.
  assert.equal(line(threads), '* THREAD (2 1)(3)(4)');
});

test('RFC 5256 §3 REFERENCES step 1B: a second message with the same Message-ID counts as one without', () => {
  const threads = referencesThreads(messages({ id: 'dup', subject: 'one' }, { id: 'dup', subject: 'two' }, { id: 'r', refs: ['dup'], subject: 'Re: one' }));
  assert.equal(line(threads), '* THREAD (1 3)(2)');
});

test('RFC 5256 §3 REFERENCES step 6: threads with the same base subject merge ("Re: foo" under "foo"; equals under a dummy)', () => {
  const threads = referencesThreads(
    messages(
      { id: 'a', subject: 'foo' },
      { id: 'b', subject: 'Re: foo' },
      { id: 'c', subject: 'bar' },
      { id: 'd', subject: 'bar' },
      { id: 'e', subject: '' },
      { id: 'f', subject: '' },
    ),
  );
  assert.equal(line(threads), '* THREAD (1 2)((3)(4))(5)(6)');
});

test('RFC 5256 §3 REFERENCES: a 10,000-deep References chain threads without recursion, in well under a second', (t) => {
  const depth = 10_000;
  const chain = Array.from({ length: depth }, (_, i): Spec => ({ id: `m${i}`, refs: i === 0 ? [] : [`m${i - 1}`], subject: i === 0 ? 'deep' : 'Re: deep' }));
  for (const [order, specs] of [
    ['oldest first', chain],
    ['newest first', [...chain].reverse()],
  ] as const) {
    const started = performance.now();
    const threads = referencesThreads(messages(...specs));
    const text = line(threads);
    const elapsed = performance.now() - started;
    t.diagnostic(`${order}: ${depth} messages threaded in ${elapsed.toFixed(0)} ms`);
    assert.equal(threads.length, 1);
    assert.equal(text.split(' ').length, depth + 2);
    assert.ok(elapsed < 2000, `${elapsed} ms`);
  }
});
