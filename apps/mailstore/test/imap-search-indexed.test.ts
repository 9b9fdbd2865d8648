// SEARCH on flags answered from the store's flag indexes (store.searchFlags) gives what the matcher gives
// (RFC 3501 §6.4.4), with ESEARCH (RFC 4731) and SEARCHRES (RFC 5182) on top; STATUS SIZE/DELETED are the
// sums of RFC822.SIZE and of \Deleted (RFC 8438 §3, RFC 9051 §6.3.11). Both store backends.
import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import type { SearchNode } from '../src/imap/search-match.js';
import { indexedFlagQuery } from '../src/imap/search-flags.js';
import { describeOnBackends, loginWire } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';
import type { WireClient } from './imap-wire.js';

/** The numbers of the untagged SEARCH response, as written. */
function hits(untagged: string[]): string {
  const line = untagged.find((entry) => entry.startsWith('* SEARCH'));
  assert.ok(line, `no SEARCH response in ${untagged.join(' | ')}`);
  return line.slice('* SEARCH'.length).trim();
}

const unseen: SearchNode = { key: 'flag', value: '\\Seen', exists: false };

test('an AND of flag keys (not \\Recent), NOT of one, ALL and UID sets go to the store; anything else to the matcher', () => {
  assert.deepEqual(indexedFlagQuery([unseen]), { flags: [{ flag: '\\Seen', set: false }], uids: null });
  assert.deepEqual(indexedFlagQuery([{ key: 'not', value: [unseen] }, { key: 'uid', value: [3, 1] }, { key: 'uid', value: [1, 2] }, { key: 'all' }]), {
    flags: [{ flag: '\\Seen', set: true }],
    uids: new Set([1]),
  });
  assert.deepEqual(indexedFlagQuery([{ key: 'flag', value: '$Work', exists: true }, { key: 'flag', value: '\\Deleted', exists: false }])?.flags.length, 2);
  for (const query of [
    [{ key: 'flag', value: '\\Recent', exists: true }],
    [{ key: 'not', value: [{ key: 'flag', value: '\\Recent', exists: true }, unseen] }],
    [{ key: 'or', value: [unseen, unseen] }],
    [unseen, { key: 'modseq', value: 3 }],
    [unseen, { key: 'size', operator: '>', value: 0 }],
    [{ key: 'not', value: { key: 'header', header: 'subject', value: 'x' } }],
  ] as SearchNode[][]) {
    assert.equal(indexedFlagQuery(query), null, JSON.stringify(query));
  }
});

describeOnBackends('IMAP SEARCH on flags from the store indexes', {}, (suite) => {
  let wire: WireClient;
  let indexedCalls = 0;

  before(async () => {
    const { store } = suite.fx;
    const searchFlags = store.searchFlags.bind(store);
    store.searchFlags = (mailboxId, search) => {
      indexedCalls++;
      return searchFlags(mailboxId, search);
    };
    wire = await loginWire(suite.fx);
    await wire.command('CREATE Flags');
    const flags = ['(\\Seen)', '()', '(\\Deleted $Work)', '(\\Seen \\Flagged)', '(\\Answered $work NonJunk)', '(\\Draft)', '(\\Seen \\Deleted)', '()', '($WORK \\Seen)', '(\\Flagged)'];
    for (const [i, list] of flags.entries()) await wire.append('Flags', simpleMessage(i + 1, { body: 'x'.repeat(100 * (i + 1)) }), list);
    await wire.command('SELECT Flags');
    // Flags changed by STORE, and a copy in another mailbox, must show in the indexes too.
    await wire.command('UID STORE 2,8 +FLAGS (\\Seen)');
    await wire.command('UID STORE 7 -FLAGS (\\Deleted)');
    await wire.command('UID STORE 10 FLAGS ($Work \\Deleted)');
    await wire.command('UID COPY 1:5 Flags');
    await wire.command('UID EXPUNGE 6');
    await wire.command('NOOP');
  });

  after(() => wire?.close());

  const QUERIES = [
    'UNSEEN',
    'SEEN',
    'DELETED',
    'UNDELETED',
    'FLAGGED',
    'UNANSWERED',
    'DRAFT',
    'KEYWORD $work',
    'UNKEYWORD $WORK',
    'KEYWORD nonjunk',
    'NOT SEEN',
    'NOT DELETED UNSEEN',
    'UNSEEN UNDELETED 3:12',
    'SEEN KEYWORD $Work UNFLAGGED',
    'UID 4:*',
    'ALL',
    '2,4:5 SEEN',
  ];

  test('answers UID SEARCH and SEARCH on flags through the store, as the matcher answers them', async () => {
    for (const query of QUERIES) {
      for (const prefix of ['UID SEARCH', 'SEARCH']) {
        const before = indexedCalls;
        const indexed = hits((await wire.command(`${prefix} ${query}`)).untagged);
        assert.equal(indexedCalls, before + 1, `${prefix} ${query} runs on the store's flag search`);
        // The same query through the matcher: over UID, MODSEQ and flags (an OR), and over whole records (LARGER 0).
        const flagState = hits((await wire.command(`${prefix} OR (${query}) (${query})`)).untagged);
        const records = hits((await wire.command(`${prefix} ${query} LARGER 0`)).untagged);
        assert.equal(indexedCalls, before + 1, 'the matcher answered the others');
        assert.equal(indexed, flagState, `${prefix} ${query}`);
        assert.equal(indexed, records, `${prefix} ${query}`);
      }
    }
    assert.equal(hits((await wire.command('UID SEARCH UNSEEN')).untagged), '3 5 6 10 13 15', 'after the STOREs, the COPY and the EXPUNGE');
  });

  test('RFC 4731 ESEARCH MIN/MAX/COUNT/ALL and RFC 5182 SEARCHRES sit on the store\'s answer', async () => {
    const all = hits((await wire.command('UID SEARCH UNDELETED')).untagged).split(' ').map(Number);
    const esearch = await wire.command('UID SEARCH RETURN (MIN MAX COUNT) UNDELETED');
    const tag = esearch.tagged.split(' ')[0];
    assert.deepEqual(esearch.untagged, [`* ESEARCH (TAG "${tag}") UID MIN ${all[0]} MAX ${all.at(-1)} COUNT ${all.length}`]);
    const none = await wire.command('UID SEARCH RETURN (COUNT) KEYWORD absent');
    assert.deepEqual(none.untagged, [`* ESEARCH (TAG "${none.tagged.split(' ')[0]}") UID COUNT 0`]);
    assert.equal((await wire.command('UID SEARCH RETURN (SAVE) KEYWORD $work')).status, 'OK');
    const saved = hits((await wire.command('UID SEARCH UID $')).untagged);
    assert.equal(saved, hits((await wire.command('UID SEARCH KEYWORD $work LARGER 0')).untagged));
    assert.equal(hits((await wire.command('UID SEARCH $ SEEN')).untagged), hits((await wire.command('UID SEARCH KEYWORD $work SEEN LARGER 0')).untagged));
  });

  test('STATUS SIZE is the sum of RFC822.SIZE and DELETED the number of \\Deleted messages', async () => {
    const fetched = await wire.command('FETCH 1:* (RFC822.SIZE FLAGS)');
    const sizes = fetched.untagged.map((line) => Number(/RFC822\.SIZE (\d+)/.exec(line)?.[1] ?? NaN));
    const deleted = fetched.untagged.filter((line) => /\\Deleted/.test(line)).length;
    const unseen = fetched.untagged.filter((line) => !/\\Seen/.test(line)).length;
    assert.ok(sizes.length > 5 && sizes.every(Number.isFinite));
    const status = await wire.command('STATUS Flags (MESSAGES SIZE DELETED UNSEEN)');
    const line = status.untagged.find((entry) => entry.startsWith('* STATUS'));
    assert.equal(line, `* STATUS Flags (MESSAGES ${sizes.length} SIZE ${sizes.reduce((a, b) => a + b, 0)} DELETED ${deleted} UNSEEN ${unseen})`);
  });
});
