import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bounceReason, Counter, Gauge, Histogram, Registry, timedCalls } from '../src/index.js';

test('renders HELP, TYPE and one line per label set in the text exposition format', async () => {
  const registry = new Registry();
  const counter = registry.register(new Counter('mail_total', 'Mail seen', ['service']));
  counter.inc({ service: 'smtp' });
  counter.inc({ service: 'smtp' }, 2);
  counter.inc({ service: 'submission' });
  registry.register(new Gauge('queue_size', 'Queue', [], (gauge) => gauge.set({}, 7)));
  const { text, failed } = await registry.render();
  assert.deepEqual(failed, []);
  assert.equal(
    text,
    '# HELP mail_total Mail seen\n# TYPE mail_total counter\nmail_total{service="smtp"} 3\nmail_total{service="submission"} 1\n' +
      '# HELP queue_size Queue\n# TYPE queue_size gauge\nqueue_size 7\n',
  );
});

test('escapes backslash, double quote and line feed in label values, and backslash and line feed in HELP', async () => {
  const registry = new Registry();
  registry.register(new Counter('odd_total', 'a \\ b\nc', ['reason'])).inc({ reason: 'say "hi"\\\n' });
  const { text } = await registry.render();
  assert.match(text, /^# HELP odd_total a \\\\ b\\nc$/m);
  assert.match(text, /^odd_total\{reason="say \\"hi\\"\\\\\\n"\} 1$/m);
});

test('shows a counter without labels at 0 before its first event, and refuses to go down', async () => {
  const registry = new Registry();
  const bans = registry.register(new Counter('bans_total', 'Bans'));
  assert.match((await registry.render()).text, /^bans_total 0$/m);
  assert.throws(() => bans.inc({}, -1), RangeError);
});

test('a failing collector is named and the other metrics are still rendered', async () => {
  const registry = new Registry();
  registry.register(new Gauge('broken', 'Fails', [], () => {
    throw new Error('store down');
  }));
  registry.register(new Counter('fine_total', 'Fine'));
  const { text, failed } = await registry.render();
  assert.deepEqual(failed, ['broken']);
  assert.match(text, /^fine_total 0$/m);
});

test('a second metric of one name is refused', () => {
  const registry = new Registry();
  registry.register(new Counter('x_total', 'x'));
  assert.throws(() => registry.register(new Counter('x_total', 'x')), /registered twice/);
});

test('a bounce reason is the subject class of its enhanced status code (RFC 3463 §3)', () => {
  assert.equal(bounceReason('5.1.1'), 'address');
  assert.equal(bounceReason('5.2.2'), 'mailbox');
  assert.equal(bounceReason('5.7.1'), 'policy');
  assert.equal(bounceReason('4.4.1'), 'network');
  assert.equal(bounceReason(undefined), 'other');
  assert.equal(bounceReason('garbage'), 'other');
});

test('a histogram renders cumulative buckets, +Inf, _sum and _count per label set', async () => {
  const registry = new Registry();
  const latency = registry.register(new Histogram('op_seconds', 'Latency', ['operation'], [0.1, 1]));
  latency.observe({ operation: 'get' }, 0.05);
  latency.observe({ operation: 'get' }, 0.5);
  latency.observe({ operation: 'get' }, 3);
  const { text } = await registry.render();
  assert.equal(
    text,
    '# HELP op_seconds Latency\n# TYPE op_seconds histogram\n' +
      'op_seconds_bucket{operation="get",le="0.1"} 1\nop_seconds_bucket{operation="get",le="1"} 2\nop_seconds_bucket{operation="get",le="+Inf"} 3\n' +
      'op_seconds_sum{operation="get"} 3.55\nop_seconds_count{operation="get"} 3\n',
  );
  assert.throws(() => new Histogram('bad', 'Bad', ['le']), /"le" is the bucket label/);
});

test('timedCalls times each promise a method returns, settled or failed, and keeps `this` the real object', async () => {
  class Store {
    #rows = ['a'];
    readonly backend = 'sqlite';
    async list(): Promise<string[]> {
      return this.#rows;
    }
    async fail(): Promise<never> {
      throw new Error('down');
    }
    size(): number {
      return this.#rows.length;
    }
  }
  const latency = new Histogram('store_seconds', 'Store', ['backend', 'operation']);
  const store = timedCalls(new Store(), latency, { backend: 'sqlite' });
  assert.deepEqual(await store.list(), ['a']);
  await assert.rejects(store.fail(), /down/);
  assert.equal(store.size(), 1);
  assert.equal(store.backend, 'sqlite');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(latency.count({ backend: 'sqlite', operation: 'list' }), 1);
  assert.equal(latency.count({ backend: 'sqlite', operation: 'fail' }), 1);
  assert.equal(latency.count({ backend: 'sqlite', operation: 'size' }), 0, 'a method that returns no promise is not timed');
});
