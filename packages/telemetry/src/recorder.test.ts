import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRecorder } from './recorder.js';
import { METRICS } from './metrics.js';
import { sampleProblem, isHistogramSample, type HistogramSample, type MetricSample } from './samples.js';

function find(samples: MetricSample[], name: string, labels: Record<string, string> = {}): MetricSample {
  const hit = samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels));
  assert.ok(hit, `no sample ${name} ${JSON.stringify(labels)}`);
  return hit;
}

test('gauges keep the last value, counters accumulate', () => {
  const r = new MetricsRecorder();
  r.gauge('awn_total_width', 10);
  r.gauge('awn_total_width', 42);
  r.gauge('awn_layer_width', 25, { layer: '1' });
  r.gauge('awn_layer_width', 48, { layer: '2' });
  r.inc('awn_samples_total', 128);
  r.inc('awn_samples_total', 128);
  r.inc('awn_width_changes_total', 1, { layer: '1' });
  r.inc('awn_width_changes_total', undefined, { layer: '1' });
  const s = r.snapshot();
  assert.deepEqual(find(s, 'awn_total_width'), { name: 'awn_total_width', labels: {}, value: 42 });
  assert.equal((find(s, 'awn_layer_width', { layer: '2' }) as { value: number }).value, 48);
  assert.equal((find(s, 'awn_samples_total') as { value: number }).value, 256);
  assert.equal((find(s, 'awn_width_changes_total', { layer: '1' }) as { value: number }).value, 2);
  for (const sample of s) assert.equal(sampleProblem(sample), undefined, JSON.stringify(sample));
});

test('histograms count observations cumulatively per bucket', () => {
  const r = new MetricsRecorder();
  r.observe('awn_step_seconds', 0.003, { phase: 'compute' });
  r.observe('awn_step_seconds', 0.2, { phase: 'compute' });
  r.observe('awn_step_seconds', 100, { phase: 'compute' });
  const h = find(r.snapshot(), 'awn_step_seconds', { phase: 'compute' }) as HistogramSample;
  assert.ok(isHistogramSample(h));
  const bounds = METRICS.awn_step_seconds.buckets;
  assert.equal(h.buckets.length, bounds.length);
  bounds.forEach((le, i) => {
    const expected = [0.003, 0.2, 100].filter((v) => v <= le).length;
    assert.equal(h.buckets[i], expected, `le=${le}`);
  });
  assert.equal(h.count, 3);
  assert.ok(Math.abs(h.sum - 100.203) < 1e-9);
  assert.equal(sampleProblem(h), undefined);
});

test('snapshots are copies: later observations do not change an earlier snapshot', () => {
  const r = new MetricsRecorder();
  r.observe('awn_checkpoint_seconds', 1);
  const first = find(r.snapshot(), 'awn_checkpoint_seconds') as HistogramSample;
  r.observe('awn_checkpoint_seconds', 1);
  assert.equal(first.count, 1);
  assert.equal(first.buckets.at(-1), 1);
});

test('NaN loss is recorded as a gauge so alerts can see divergence', () => {
  const r = new MetricsRecorder();
  r.gauge('awn_loss', Number.NaN, { term: 'total' });
  const s = find(r.snapshot(), 'awn_loss', { term: 'total' }) as { value: number };
  assert.ok(Number.isNaN(s.value));
});

test('misuse throws with the metric named', () => {
  const r = new MetricsRecorder();
  const loose = r as unknown as Record<string, (...a: unknown[]) => void>;
  assert.throws(() => loose['gauge']!.call(r, 'awn_totl_width', 1), /unknown metric 'awn_totl_width'/);
  assert.throws(() => loose['gauge']!.call(r, 'awn_layer_width', 1, { lyr: 'h1' }), /unknown label 'lyr'/);
  assert.throws(() => loose['gauge']!.call(r, 'awn_layer_width', 1), /label 'layer' must be a string/);
  assert.throws(() => loose['gauge']!.call(r, 'awn_loss', 1, { term: 'kl' }), /term='kl' is not one of/);
  assert.throws(() => loose['inc']!.call(r, 'awn_total_width', 1), /is a gauge, not a counter/);
  assert.throws(() => loose['gauge']!.call(r, 'awn_up', 1), /written by the metrics exporter/);
  assert.throws(() => r.inc('awn_samples_total', -1), RangeError);
  assert.throws(() => r.observe('awn_checkpoint_seconds', Number.NaN), RangeError);
  assert.deepEqual(r.snapshot(), []);
});

test('buildInfo fills the node version', () => {
  const r = new MetricsRecorder();
  r.buildInfo({ version: '0.1.0', backend: 'wasm' });
  assert.deepEqual(r.snapshot(), [
    { name: 'awn_build_info', labels: { version: '0.1.0', backend: 'wasm', node: process.version }, value: 1 },
  ]);
});
