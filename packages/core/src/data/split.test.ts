import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateProportionally, stratifiedSplit } from './split.js';
import { classCounts, type ClassificationDataset, type RegressionDataset } from './dataset.js';

function imbalanced(): ClassificationDataset {
  // 3 classes of sizes 500, 300, 37; feature 0 is the row id so subsets can be traced back.
  const sizes = [500, 300, 37];
  const n = sizes.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  let i = 0;
  sizes.forEach((s, c) => {
    for (let k = 0; k < s; k++, i++) {
      x[2 * i] = i;
      x[2 * i + 1] = c;
      y[i] = c;
    }
  });
  return { name: 'imb', task: 'classification', inputDim: 2, numClasses: 3, outputDim: 3, n, x, y };
}

test('subsets are disjoint, cover every row once, and keep rows intact', () => {
  const ds = imbalanced();
  const s = stratifiedSplit(ds, { seed: 11 });
  const seen = new Int32Array(ds.n);
  for (const part of [s.train, s.validation, s.test]) {
    for (let k = 0; k < part.n; k++) {
      const id = part.x[2 * k];
      seen[id]++;
      assert.equal(part.y[k], ds.y[id]);
      assert.equal(part.x[2 * k + 1], ds.x[2 * id + 1]);
    }
  }
  assert.ok(seen.every((c) => c === 1));
  assert.equal(s.train.n + s.validation.n + s.test.n, ds.n);
  assert.deepEqual(Array.from(s.indices.test), Array.from(s.test.x.filter((_, j) => j % 2 === 0)));
});

test('stratified: every class split 20 % test, then 10 % of the rest validation', () => {
  const s = stratifiedSplit(imbalanced(), { seed: 2 });
  assert.deepEqual(classCounts(s.test), [100, 60, 7]);
  assert.deepEqual(classCounts(s.validation), [40, 24, 3]);
  assert.deepEqual(classCounts(s.train), [360, 216, 27]);
  assert.equal(s.train.name, 'imb/train');
  const t = stratifiedSplit(imbalanced(), { seed: 2, testFraction: 0.5, validationFraction: 0 });
  assert.deepEqual(classCounts(t.test), [250, 150, 19]);
  assert.equal(t.validation.n, 0);
});

test('subsets are shuffled, not grouped by class', () => {
  const s = stratifiedSplit(imbalanced(), { seed: 2 });
  const firstClasses = new Set(Array.from(s.train.y.subarray(0, 50)));
  assert.ok(firstClasses.size > 1);
});

test('deterministic per seed, different across seeds', () => {
  const a = stratifiedSplit(imbalanced(), { seed: 5 });
  const b = stratifiedSplit(imbalanced(), { seed: 5 });
  const c = stratifiedSplit(imbalanced(), { seed: 6 });
  assert.deepEqual(a.indices, b.indices);
  assert.notDeepEqual(a.indices.test, c.indices.test);
});

test('regression: plain seeded split with the same proportions', () => {
  const n = 100;
  const ds: RegressionDataset = {
    name: 'r',
    task: 'regression',
    inputDim: 1,
    outputDim: 2,
    n,
    x: Float32Array.from({ length: n }, (_, i) => i),
    y: Float32Array.from({ length: 2 * n }, (_, i) => i),
  };
  const s = stratifiedSplit(ds, { seed: 1 });
  assert.equal(s.test.n, 20);
  assert.equal(s.validation.n, 8);
  assert.equal(s.train.n, 72);
  const all = [...s.train.x, ...s.validation.x, ...s.test.x].sort((p, q) => p - q);
  assert.deepEqual(
    all,
    Array.from({ length: n }, (_, i) => i),
  );
  for (let k = 0; k < s.test.n; k++)
    assert.deepEqual(Array.from(s.test.y.subarray(2 * k, 2 * k + 2)), [2 * s.test.x[k], 2 * s.test.x[k] + 1]);
});

test('bad fractions are refused', () => {
  assert.throws(() => stratifiedSplit(imbalanced(), { seed: 1, testFraction: 1 }), /testFraction/);
  assert.throws(() => stratifiedSplit(imbalanced(), { seed: 1, validationFraction: -0.1 }), /validationFraction/);
});

test('allocateProportionally sums exactly and never exceeds a group', () => {
  assert.deepEqual(allocateProportionally(10, [5, 3, 2]), [5, 3, 2]);
  assert.deepEqual(allocateProportionally(3, [1, 1, 1]), [1, 1, 1]);
  assert.deepEqual(allocateProportionally(2, [1, 1, 1]), [1, 1, 0]);
  const a = allocateProportionally(1000, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  assert.equal(
    a.reduce((p, q) => p + q, 0),
    1000,
  );
  assert.throws(() => allocateProportionally(4, [1, 2]), /total/);
});
