import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Histogram, mergeExpositions, Registry } from '../src/index.js';

/** One process's registry with the given numbers, rendered. */
async function processText(connections: number, open: number, seconds: number[]): Promise<string> {
  const registry = new Registry();
  registry.register(new Counter('t_connections_total', 'Connections.', ['service'])).inc({ service: 'imap' }, connections);
  registry.register(new Gauge('t_sessions_open', 'Open "sessions"\\now.', ['service'])).set({ service: 'imap' }, open);
  const histogram = registry.register(new Histogram('t_seconds', 'Durations.', [], [0.1, 1]));
  for (const value of seconds) histogram.observe({}, value);
  registry.register(new Counter('t_bans_total', 'Bans.'));
  return (await registry.render()).text;
}

test('mergeExpositions sums each series over the processes and keeps each HELP and TYPE once', async () => {
  const merged = mergeExpositions([await processText(3, 1, [0.05]), await processText(4, 2, [0.5, 2])]);
  assert.equal(
    merged,
    [
      '# HELP t_connections_total Connections.',
      '# TYPE t_connections_total counter',
      't_connections_total{service="imap"} 7',
      '# HELP t_sessions_open Open "sessions"\\\\now.',
      '# TYPE t_sessions_open gauge',
      't_sessions_open{service="imap"} 3',
      '# HELP t_seconds Durations.',
      '# TYPE t_seconds histogram',
      't_seconds_bucket{le="0.1"} 1',
      't_seconds_bucket{le="1"} 2',
      't_seconds_bucket{le="+Inf"} 3',
      't_seconds_sum 2.55',
      't_seconds_count 3',
      '# HELP t_bans_total Bans.',
      '# TYPE t_bans_total counter',
      't_bans_total 0',
      '',
    ].join('\n'),
  );
});

test('a label value with spaces stays one series', () => {
  const text = '# TYPE t_x counter\nt_x{reason="a b c"} 1\n';
  assert.equal(mergeExpositions([text, text]), '# TYPE t_x counter\nt_x{reason="a b c"} 2\n');
});

test('a family named as "highest" keeps the highest value of each series, not the sum', () => {
  const lag = (mean: number, max: number): string => `# TYPE t_lag gauge\nt_lag{stat="mean"} ${mean}\nt_lag{stat="max"} ${max}\n# TYPE t_open gauge\nt_open 2\n`;
  assert.equal(mergeExpositions([lag(0.001, 0.02), lag(0.004, 0.01), lag(0, 0)], new Set(['t_lag'])), '# TYPE t_lag gauge\nt_lag{stat="mean"} 0.004\nt_lag{stat="max"} 0.02\n# TYPE t_open gauge\nt_open 6\n');
});
