// SPEC §4 "indexes for every query a session runs": every query an append
// sends (LMTP deliveries with a deliveryId, a repeated delivery, an APPEND
// without one, the journal read that wakes IDLE) must be served by one of the
// indexes the server holds, so that its cost does not grow with the mailbox; so must the
// flag searches (SEARCH UNSEEN, DELETED, KEYWORD), the unseen count and the STATUS totals.
// Checked on the commands the driver sends, against the server's listIndexes;
// on a server with `explain` (a real MongoDB through MONGO_URL) also by its
// query planner: no COLLSCAN. MONGO_URL when set, else the pinned test server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { MongoClient } from 'mongodb';
import type { CommandStartedEvent, Db, Document } from 'mongodb';
import { MongoStore } from '../src/mongodb/index.js';
import { databaseUrl, startTestMongo } from '../src/testing/mongo-server.js';
import type { TestMongo } from '../src/testing/mongo-server.js';

/** One query as sent: the collection, its filter and its sort. */
interface Query {
  collection: string;
  filter: Document;
  sort?: Document;
}

/** The queries in a command: find's filter, each update's and delete's `q`, findAndModify's query. */
function queriesOf(event: CommandStartedEvent): Query[] {
  const { command } = event;
  const collection = String(command[event.commandName]);
  switch (event.commandName) {
    case 'find':
      return [{ collection, filter: command.filter ?? {}, sort: command.sort }];
    case 'update':
      return (command.updates as Document[]).map((update) => ({ collection, filter: update.q }));
    case 'delete':
      return (command.deletes as Document[]).map((deletion) => ({ collection, filter: deletion.q }));
    case 'findAndModify':
      return [{ collection, filter: command.query ?? {}, sort: command.sort }];
    case 'count':
      return [{ collection, filter: command.query ?? {} }];
    case 'aggregate': {
      // countDocuments and $group sums: the pipeline's leading $match is the query.
      const match = (command.pipeline as Document[] | undefined)?.[0]?.$match as Document | undefined;
      return match ? [{ collection, filter: match }] : [];
    }
    default:
      return [];
  }
}

/** The branches a filter's $or splits into (each one must be served by an index of its own). */
function branches(filter: Document): Document[] {
  if (!Array.isArray(filter.$or)) return [filter];
  const { $or, ...rest } = filter;
  return ($or as Document[]).flatMap((branch) => branches({ ...rest, ...branch }));
}

/** Whether the filter constrains `field` to a non-null value (equality, $in, a range), which bounds an index scan on it. */
function bounds(filter: Document, field: string): boolean {
  if (!(field in filter)) return false;
  const value = filter[field] as unknown;
  if (value === null) return false;
  if (typeof value !== 'object' || value instanceof Date || Array.isArray(value)) return true;
  const operators = Object.keys(value as Document);
  if (!operators.every((key) => key.startsWith('$'))) return true;
  return operators.some((key) => ['$eq', '$in', '$gt', '$gte', '$lt', '$lte'].includes(key)) || (value as Document).$exists === true;
}

/**
 * An index serves a filter when the documents it reads are the ones the filter
 * wants: a unique index all of whose fields the filter bounds (one document at
 * most), or an index holding every field the filter bounds, in a prefix of its
 * key (a mailbox-wide index scan for {mailboxId, deliveryId} does not count).
 * A partial index also needs the filter to imply its partialFilterExpression.
 */
function servedBy(filter: Document, indexes: Document[]): Document | undefined {
  const bounded = Object.keys(filter).filter((field) => !field.startsWith('$') && bounds(filter, field));
  return indexes.find((index) => {
    const keys = Object.keys(index.key as Document);
    const partial = index.partialFilterExpression as Document | undefined;
    if (!Object.keys(partial ?? {}).every((field) => bounds(filter, field))) return false;
    if (index.unique === true || keys[0] === '_id') {
      if (keys.every((key) => bounded.includes(key))) return true;
    }
    const prefix = keys.slice(0, bounded.length);
    return bounded.length > 0 && bounded.every((field) => prefix.includes(field));
  });
}

/**
 * Asserts that every query of the recorded commands is served by an index the server holds, and,
 * where the server can explain (a real MongoDB), that its planner agrees: no collection scan.
 */
async function assertServedByIndexes(t: TestContext, db: Db, events: CommandStartedEvent[]): Promise<Query[]> {
  const indexes = new Map<string, Document[]>();
  const queries = events.flatMap(queriesOf).flatMap((query) => branches(query.filter).map((filter) => ({ ...query, filter })));
  for (const query of queries) {
    if (!indexes.has(query.collection)) indexes.set(query.collection, await db.collection(query.collection).listIndexes().toArray());
    const index = servedBy(query.filter, indexes.get(query.collection)!);
    assert.ok(index, `${query.collection} ${JSON.stringify(query.filter)} has no index (indexes: ${indexes.get(query.collection)!.map((i) => JSON.stringify(i.key)).join(', ')})`);
  }
  t.diagnostic(`${queries.length} queries in ${events.length} commands, each served by an index`);
  const explainable = await db.command({ explain: { find: 'messages', filter: {} }, verbosity: 'queryPlanner' }).then(() => true, () => false);
  if (!explainable) {
    t.diagnostic('this server has no explain command: checked against listIndexes only');
    return queries;
  }
  for (const query of queries) {
    const plan = await db.command({ explain: { find: query.collection, filter: query.filter, ...(query.sort ? { sort: query.sort } : {}) }, verbosity: 'queryPlanner' });
    assert.doesNotMatch(JSON.stringify(plan.queryPlanner?.winningPlan ?? plan), /COLLSCAN/, `${query.collection} ${JSON.stringify(query.filter)} is planned as a collection scan`);
  }
  return queries;
}

describe('mongodb appends: every query has an index', () => {
  let mongo: TestMongo;
  let inspector: MongoClient;
  const url = (): string => databaseUrl(mongo.url, `postern_indexed_${randomBytes(4).toString('hex')}`);

  before(async () => {
    mongo = await startTestMongo();
  });
  after(async () => {
    await inspector?.close();
    await mongo?.stop();
  });

  test('deliveries, a repeated delivery, an APPEND and the journal read after them query only through indexes', { timeout: 120_000 }, async (t) => {
    t.diagnostic(`server: ${mongo.server}`);
    const events: CommandStartedEvent[] = [];
    let recording = false;
    const target = url();
    const store = await MongoStore.open(target, (event) => {
      if (recording) events.push(event);
    });
    try {
      const user = await store.addUser({ address: 'alice@example.com', passwordHash: '{PLAIN}x' });
      const inbox = await store.createMailbox(user.id, 'INBOX');
      const raw = (n: number): Buffer => Buffer.from(`Subject: ${n}\r\nMessage-ID: <${n}@example.org>\r\n\r\nbody ${n}\r\n`);
      // Some mail already there, so that a scan would have documents to examine.
      await Promise.all(Array.from({ length: 50 }, (_, n) => store.appendMessage(inbox.id, { parts: [raw(n)], deliveryId: `old-${n}` })));

      recording = true;
      const delivered = await Promise.all(Array.from({ length: 20 }, (_, n) => store.appendMessage(inbox.id, { parts: [raw(100 + n)], deliveryId: `new-${n}` })));
      const again = await store.appendMessage(inbox.id, { parts: [raw(100)], deliveryId: 'new-0' });
      await store.appendMessage(inbox.id, { parts: [raw(200)], flags: ['\\Seen'] });
      await store.appendMessage(inbox.id, { parts: [raw(300)], deliveryId: 'single' });
      await store.readJournal(inbox.id, delivered[0]!.message.modseq);
      recording = false;
      assert.equal(again.duplicate, true);

      inspector = new MongoClient(target);
      await inspector.connect();
      const queries = await assertServedByIndexes(t, inspector.db(), events);
      assert.ok(queries.some((query) => query.collection === 'messages' && 'deliveryId' in query.filter), 'the repeated-delivery check was seen');
    } finally {
      await store.close();
    }
  });
  test('flag searches, the unseen count and the STATUS totals query only through indexes', { timeout: 120_000 }, async (t) => {
    const events: CommandStartedEvent[] = [];
    let recording = false;
    const target = url();
    const store = await MongoStore.open(target, (event) => {
      if (recording) events.push(event);
    });
    const client = new MongoClient(target);
    try {
      const user = await store.addUser({ address: 'bob@example.com', passwordHash: '{PLAIN}x' });
      const inbox = await store.createMailbox(user.id, 'INBOX');
      const flags = (n: number): string[] => [...(n % 2 ? ['\\Seen'] : []), ...(n % 5 ? [] : ['\\Deleted']), ...(n % 7 ? [] : ['$Work'])];
      for (let n = 1; n <= 40; n++) await store.appendMessage(inbox.id, { parts: [Buffer.from(`Subject: ${n}\r\n\r\nbody\r\n`)], flags: flags(n) });

      recording = true;
      await store.searchFlags(inbox.id, { flags: [{ flag: '\\Seen', set: false }] });
      await store.searchFlags(inbox.id, { flags: [{ flag: '\\Seen', set: true }], uids: { min: 3, max: 30 } });
      await store.searchFlags(inbox.id, { flags: [{ flag: '\\Deleted', set: true }] });
      await store.searchFlags(inbox.id, { flags: [{ flag: '$work', set: true }, { flag: '\\Deleted', set: false }] });
      await store.countMessages(inbox.id, { unseen: true });
      await store.mailboxTotals(inbox.id);
      recording = false;

      await client.connect();
      const queries = await assertServedByIndexes(t, client.db(), events);
      assert.ok(queries.some((query) => query.collection === 'messages' && query.filter.seen === false), 'the unseen search and count were seen');
    } finally {
      await client.close();
      await store.close();
    }
  });
});
