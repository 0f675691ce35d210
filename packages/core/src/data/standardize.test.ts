import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStandardizer, fitStandardizer, standardizeSplit } from './standardize.js';
import type { RegressionDataset } from './dataset.js';

function ds(x: number[], name = 'd'): RegressionDataset {
  const n = x.length / 2;
  return { name, task: 'regression', inputDim: 2, outputDim: 1, n, x: Float32Array.from(x), y: new Float32Array(n) };
}

test('fit on train gives zero mean, unit std there; constant features get std 1', () => {
  const train = ds([1, 7, 3, 7, 5, 7]);
  const s = fitStandardizer(train);
  assert.deepEqual(s.mean, [3, 7]);
  assert.ok(Math.abs(s.std[0] - Math.sqrt(8 / 3)) < 1e-12);
  assert.equal(s.std[1], 1);
  const z = applyStandardizer(train, s);
  assert.ok(Math.abs(z.x[0] + z.x[2] + z.x[4]) < 1e-6);
  assert.equal(z.x[1], 0);
  assert.equal(train.x[0], 1, 'input untouched');
});

test('standardizeSplit uses train statistics for every subset', () => {
  const out = standardizeSplit({ train: ds([0, 0, 2, 2]), validation: ds([4, 4]), test: ds([1, 1]) });
  assert.deepEqual(out.standardizer.mean, [1, 1]);
  assert.deepEqual(Array.from(out.validation.x), [3, 3]);
  assert.deepEqual(Array.from(out.test.x), [0, 0]);
  assert.throws(() => applyStandardizer(ds([1, 2]), { mean: [0], std: [1] }), /1 features/);
  assert.throws(() => fitStandardizer(ds([])), /empty/);
});
