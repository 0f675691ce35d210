import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleProblem } from './samples.js';
import { METRICS } from './metrics.js';

const nBuckets = METRICS.awn_step_seconds.buckets.length;
const good = {
  name: 'awn_step_seconds',
  labels: { phase: 'update' },
  buckets: Array(nBuckets).fill(1),
  count: 2,
  sum: 0.5,
};

test('valid samples pass', () => {
  assert.equal(sampleProblem(good), undefined);
  assert.equal(sampleProblem({ name: 'awn_samples_total', labels: {}, value: 5 }), undefined);
  assert.equal(sampleProblem({ name: 'awn_loss', labels: { term: 'nll' }, value: Number.NaN }), undefined);
});

test('each kind of bad sample is named', () => {
  const cases: [unknown, RegExp][] = [
    [null, /must be an object/],
    [[1], /must be an object/],
    [{ labels: {}, value: 1 }, /name must be a string/],
    [{ name: 'node_cpu', labels: {}, value: 1 }, /unknown metric/],
    [{ name: 'constructor', labels: {}, value: 1 }, /unknown metric/],
    [{ name: 'awn_up', labels: {}, value: 1 }, /written by the exporter/],
    [{ name: 'awn_generation', labels: {}, value: 1 }, /written by the exporter/],
    [{ name: 'awn_samples_total', labels: { rank: '0' }, value: 1 }, /unknown label 'rank'/],
    [{ name: 'awn_layer_width', labels: { layer: 3 }, value: 1 }, /must be a string/],
    [{ name: 'awn_layer_width', labels: { layer: 'x'.repeat(200) }, value: 1 }, /longer than/],
    [{ name: 'awn_samples_total', labels: {}, value: -1 }, /non-negative/],
    [{ name: 'awn_samples_total', labels: {}, value: Infinity }, /finite/],
    [{ name: 'awn_total_width', labels: {}, value: '3' }, /must be a number/],
    [{ ...good, buckets: [1] }, /buckets must hold/],
    [
      {
        ...good,
        buckets: Array(nBuckets)
          .fill(1)
          .map((v, i) => (i === 3 ? 0 : v)),
      },
      /non-decreasing/,
    ],
    [{ ...good, count: 0 }, /count is below/],
    [{ ...good, count: 2.5 }, /non-negative integer/],
    [{ ...good, sum: Number.NaN }, /sum must be a number/],
  ];
  for (const [raw, pattern] of cases) assert.match(sampleProblem(raw) ?? 'accepted', pattern, JSON.stringify(raw));
});

test('a layer label is a layer index: no names, no leading zeros, at most MAX_LAYER_INDEX', () => {
  for (const layer of ['0', '7', '1023']) {
    assert.equal(sampleProblem({ name: 'awn_layer_width', labels: { layer }, value: 1 }), undefined, layer);
  }
  for (const layer of ['', '-1', '01', '1024', 'h1', '1.5', ' 1']) {
    assert.match(
      sampleProblem({ name: 'awn_layer_width', labels: { layer }, value: 1 }) ?? '',
      /not a layer index/,
      layer,
    );
  }
});
